import { EVERYONE, type AccessRules } from '../auth/access';
import { correlationIdSeenBy, correlationIdsMatching } from '../commands/caller-scope';
import type { EventFilter as StoreFilter, StoredEvent } from '../eventstore';
import type { EventFilter, EventType, Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql-kit/context';
import { withinBytes } from '../eventstore/event-size';
import { InvalidInput } from '../shared/errors';
import { decodeCursor, encodeCursor } from '../graphql-kit/cursor';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { MAX_EVENTS_PAGE, pageInfo, pageSize } from '../graphql-kit/pages';

/**
 * More event types than the schema has (the enum bounds each name, but a list may repeat them): a filter is matched
 * against every live event for every subscriber, so its size is bounded (a 1 MB list of types per subscription cost
 * every append tens of milliseconds).
 */
const MAX_EVENT_TYPES = 100;

/**
 * GraphQL's event filter in the event store's terms (null fields are absent), scoped to `owner` for a customer:
 * their events are selected by the log's owner column, in SQL and in the live feed alike. Without `eventTypes` it
 * selects the `served` types: an event of a type the schema cannot describe is left out rather than failing the
 * page it would be on.
 */
export function toStoreFilter(
  filter: EventFilter | null | undefined,
  owner: string | undefined,
  served: readonly string[],
): StoreFilter {
  if ((filter?.eventTypes?.length ?? 0) > MAX_EVENT_TYPES) {
    throw new InvalidInput(`filter.eventTypes may list at most ${MAX_EVENT_TYPES} types`, 'filter.eventTypes');
  }
  return {
    aggregateId: filter?.aggregateId ?? undefined,
    aggregateType: filter?.aggregateType ?? undefined,
    eventTypes: filter?.eventTypes ?? served,
    correlationIds: correlationFilter(filter?.correlationId, owner),
    fromTimestamp: filter?.fromTimestamp ?? undefined,
    ownerId: owner,
  };
}

/** A correlationId filter as what the caller sees: a customer's values are stored in their namespace. */
function correlationFilter(value: string | null | undefined, owner: string | undefined): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  return owner === undefined ? [value] : correlationIdsMatching(owner, value);
}

const eventCursor = (event: StoredEvent) => encodeCursor(event.position);

// A customer's page holds only their own events (the filter is scoped to context.owner).
export const eventAccess: AccessRules = { 'Query.events': EVERYONE };

/**
 * The envelope's fields, the same for every event type (GraphQL resolves the fields of the object types, not of
 * the interface they implement).
 */
const envelope = {
  id: (event: StoredEvent) => event.eventId,
  cursor: eventCursor,
  // Set by the store's reads; an event no read revealed (a store sealing nothing) has none erased.
  personalDataErased: (event: StoredEvent) => event.personalDataErased ?? false,
  // A customer sees the correlation ids they sent as they sent them; staff see them namespaced.
  metadata: ({ metadata }: StoredEvent, _args: unknown, { owner }: GraphQLContext) =>
    owner === undefined ? metadata : { ...metadata, correlationId: correlationIdSeenBy(owner, metadata.correlationId) },
};

/** The log's API: `events`, and the envelope of every event type the API serves (`served`). */
export const eventResolvers = (served: readonly string[]): Resolvers => ({
  Query: {
    async events(_parent, { filter, first, after }, context) {
      const { services, owner } = context;
      await readsShowWrites(context);
      const limit = pageSize(first, 50, MAX_EVENTS_PAGE);
      const from = after ? decodeCursor(after) : undefined;
      // One extra row at the end tells whether another page follows, without a count; with `after`, the read
      // starts at the event at `after` itself, and finding it there (it matches the filter) tells that something
      // precedes the page.
      const page =
        from === undefined
          ? await services.store.readLog(0n, limit + 1, toStoreFilter(filter, owner, served))
          : await services.store.readLog(from - 1n, limit + 2, toStoreFilter(filter, owner, served));
      const hasPreviousPage = from !== undefined && page.events[0]?.position === from;
      const rest = hasPreviousPage ? page.events.slice(1) : page.events;
      // Query cost counts a payload as a typical one; this bounds the bytes a page can hold whatever the payloads
      // (a client pages on from endCursor as usual).
      const events = withinBytes(rest.slice(0, limit), services.config.eventsPageBytes);
      return { events, hasNextPage: rest.length > events.length, hasPreviousPage };
    },
  },
  EventConnection: {
    edges: (connection) => connection.events.map((node) => ({ node, cursor: eventCursor(node) })),
    nodes: (connection) => connection.events,
    pageInfo: (connection) => pageInfo(connection.events, eventCursor, connection),
  },
  // Each event is the object type of its eventType: every read that returns events leaves out the unserved types
  // (and commands append only served ones, which buildSchema checks).
  Event: { __resolveType: (event) => event.eventType as EventType },
  ...Object.fromEntries(served.map((type) => [type, envelope])),
});
