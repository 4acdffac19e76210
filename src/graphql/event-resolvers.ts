import { EVERYONE, type AccessRules } from '../auth/access';
import { correlationIdSeenBy, correlationIdsMatching } from '../commands/caller-scope';
import type { EventFilter as StoreFilter, StoredEvent } from '../eventstore';
import type { EventFilter, Resolvers } from '../generated/graphql';
import { withinBytes } from '../eventstore/event-size';
import { InvalidInput } from '../shared/errors';
import { decodeCursor, encodeCursor } from '../graphql-kit/cursor';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { MAX_EVENTS_PAGE, pageInfo, pageSize } from '../graphql-kit/pages';

/**
 * More event types than any log will have: a filter is matched against every live event for every subscriber,
 * so its size is bounded (a 1 MB list of types per subscription cost every append tens of milliseconds).
 */
const MAX_EVENT_TYPES = 100;

/**
 * Longer than any aggregate or event type name (the longest is 19 characters; a unit test holds every slice's names
 * to it): a filter naming a longer one could match nothing, and would only be held for as long as it is open.
 */
export const MAX_TYPE_NAME_LENGTH = 64;

function requireTypeName(name: string, field: string): string {
  if (name.length > MAX_TYPE_NAME_LENGTH) {
    throw new InvalidInput(`${field} may have at most ${MAX_TYPE_NAME_LENGTH} characters, got ${name.length}`, field);
  }
  return name;
}

/**
 * GraphQL's event filter in the event store's terms (null fields are absent), scoped to `owner` for a customer:
 * their events are selected by the log's owner column, in SQL and in the live feed alike.
 */
export function toStoreFilter(filter: EventFilter | null | undefined, owner: string | undefined): StoreFilter {
  if ((filter?.eventTypes?.length ?? 0) > MAX_EVENT_TYPES) {
    throw new InvalidInput(`filter.eventTypes may list at most ${MAX_EVENT_TYPES} types`, 'filter.eventTypes');
  }
  if (filter?.aggregateType != null) requireTypeName(filter.aggregateType, 'filter.aggregateType');
  filter?.eventTypes?.forEach((type, i) => requireTypeName(type, `filter.eventTypes[${i}]`));
  return {
    aggregateId: filter?.aggregateId ?? undefined,
    aggregateType: filter?.aggregateType ?? undefined,
    eventTypes: filter?.eventTypes ?? undefined,
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
    // A customer sees the correlation ids they sent as they sent them; staff see them namespaced.
    metadata: ({ metadata }, _args, { owner }) =>
      owner === undefined
        ? metadata
        : { ...metadata, correlationId: correlationIdSeenBy(owner, metadata.correlationId) },
  },
};
