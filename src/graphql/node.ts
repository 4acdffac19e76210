import DataLoader from 'dataloader';
import { EVERYONE, type AccessRules } from '../auth/access';
import type { StoredEvent } from '../eventstore/types';
import type { EventType, Resolvers, ResolversInterfaceTypes, ResolversTypes } from '../generated/graphql';
import type { GraphQLContext } from '../graphql-kit/context';
import { InvalidInput } from '../shared/errors';
import type { NodeLookup } from '../slice';

// Each lookup is scoped to the caller as its own query's is (`order`, `customer`, `events`): a customer finds
// only their own objects, and another's is null exactly as an unknown id is.
export const nodeAccess: AccessRules = { 'Query.node': EVERYONE, 'Query.nodes': EVERYONE };

/** How many ids one `nodes(ids:)` takes (the query cost counts its list at this size). */
export const MAX_NODE_IDS = 100;

type Node = ResolversInterfaceTypes<ResolversTypes>['Node'];
type NodeTypename = 'Customer' | 'Order' | EventType;

/** What the events' lookup names its finds: each event is then the object type of its eventType. */
const EVENT = 'Event';

/** The events' own lookup, after the slices' (an event is not a slice's object): of the `served` types only. */
function eventLookup(served: readonly string[]): NodeLookup {
  const types = new Set(served);
  const make = (context: GraphQLContext) =>
    new DataLoader<string, StoredEvent | null>(async (ids) => {
      const events = await context.services.store.readEvents(ids, context.owner);
      const found = new Map(events.filter((e) => types.has(e.eventType)).map((e) => [e.eventId, e]));
      return ids.map((id) => found.get(id) ?? null);
    });
  return { typename: EVENT, load: (context, id) => context.perRequest(make).load(id) };
}

/** `node(id:)` over the slices' lookups (src/slice.ts) and the log's (events of the `served` types). */
export function nodeResolvers(slices: readonly NodeLookup[], served: readonly string[]): Resolvers {
  const lookups = [...slices, eventLookup(served)];
  // Which lookup found each object: the models share no tag, so the finder names the type.
  const typenames = new WeakMap<object, string>();
  // An id says nothing of its type (the Node interface in schema.graphql says why none is encoded in it), so every
  // lookup reads in parallel, each batched with the operation's other loads of its kind.
  async function find(context: GraphQLContext, id: string): Promise<Node | null> {
    const found = await Promise.all(lookups.map((lookup) => lookup.load(context, id)));
    const index = found.findIndex((node) => node !== null);
    if (index < 0) return null;
    typenames.set(found[index]!, lookups[index]!.typename);
    return found[index] as Node;
  }
  return {
    Query: {
      node: (_parent, { id }, context) => find(context, id),
      nodes(_parent, { ids }, context) {
        if (ids.length > MAX_NODE_IDS) {
          throw new InvalidInput(`nodes takes at most ${MAX_NODE_IDS} ids, got ${ids.length}`, 'ids');
        }
        return Promise.all(ids.map((id) => find(context, id)));
      },
    },
    Node: {
      __resolveType(node) {
        const typename = typenames.get(node);
        return (typename === EVENT ? (node as StoredEvent).eventType : typename) as NodeTypename;
      },
    },
  };
}
