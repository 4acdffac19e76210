import DataLoader from 'dataloader';
import { EVERYONE, type AccessRules } from '../auth/access';
import { customerLoader } from '../customers/loaders';
import type { StoredEvent } from '../eventstore/types';
import type { Resolvers } from '../generated/graphql';
import { orderLoader } from '../orders/loaders';
import type { GraphQLContext } from '../graphql-kit/context';

// Each lookup is scoped to the caller as its own query's is (`order`, `customer`, `events`): a customer finds
// only their own objects, and another's is null exactly as an unknown id is.
export const nodeAccess: AccessRules = { 'Query.node': EVERYONE };

const makeEventLoader = (context: GraphQLContext) =>
  new DataLoader<string, StoredEvent | null>(async (ids) => {
    const found = new Map((await context.services.store.readEvents(ids, context.owner)).map((e) => [e.eventId, e]));
    return ids.map((id) => found.get(id) ?? null);
  });

export const nodeResolvers: Resolvers = {
  Query: {
    // An id says nothing of its type (the Node interface in schema.graphql says why none is encoded in it), so
    // the three tables are read in parallel, each batched with the operation's other loads of its kind.
    async node(_parent, { id }, context) {
      const [order, customer, event] = await Promise.all([
        orderLoader(context).load(id),
        customerLoader(context).load(id),
        context.perRequest(makeEventLoader).load(id),
      ]);
      return order ?? customer ?? event;
    },
  },
  Node: {
    // The three models share no tag, but each has a field the others lack.
    __resolveType: (node) => ('eventType' in node ? 'Event' : 'email' in node ? 'Customer' : 'Order'),
  },
};
