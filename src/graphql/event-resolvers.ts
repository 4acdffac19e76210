import { EVERYONE, type AccessRules } from '../auth/access';
import type { EventFilter as StoreFilter, StoredEvent } from '../eventstore';
import type { EventFilter, Resolvers } from '../generated/graphql';
import { withinBytes } from '../eventstore/event-size';
import { InvalidInput } from '../shared/errors';
import { decodeCursor, encodeCursor } from './cursor';
import { readsShowWrites } from './read-your-writes';
import { MAX_EVENTS_PAGE, pageInfo, pageSize } from './pages';

/**
 * More event types than any log will have: a filter is matched against every live event for every subscriber,
 * so its size is bounded (a 1 MB list of types per subscription cost every append tens of milliseconds).
 */
const MAX_EVENT_TYPES = 100;

/**
 * GraphQL's event filter in the event store's terms (null fields are absent), scoped to `owner` for a customer:
 * their events are selected by the log's owner column, in SQL and in the live feed alike.
 */
export function toStoreFilter(filter: EventFilter | null | undefined, owner: string | undefined): StoreFilter {
  if ((filter?.eventTypes?.length ?? 0) > MAX_EVENT_TYPES) {
    throw new InvalidInput(`filter.eventTypes may list at most ${MAX_EVENT_TYPES} types`, 'filter.eventTypes');
  }
  return {
    aggregateId: filter?.aggregateId ?? undefined,
    aggregateType: filter?.aggregateType ?? undefined,
    eventTypes: filter?.eventTypes ?? undefined,
    correlationId: filter?.correlationId ?? undefined,
    fromTimestamp: filter?.fromTimestamp ?? undefined,
    ownerId: owner,
  };
}

const eventCursor = (event: StoredEvent) => encodeCursor(event.position);

// A customer's page holds only their own events (the filter is scoped to context.owner).
export const eventAccess: AccessRules = { 'Query.events': EVERYONE };

export const eventResolvers: Resolvers = {
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
          ? await services.store.readLog(0n, limit + 1, toStoreFilter(filter, owner))
          : await services.store.readLog(from - 1n, limit + 2, toStoreFilter(filter, owner));
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
  Event: {
    id: (event) => event.eventId,
    cursor: eventCursor,
  },
};
