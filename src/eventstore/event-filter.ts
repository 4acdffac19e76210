import type { EventFilter, StoredEvent } from './types';

type Field = keyof EventFilter;

/**
 * Each filter field once, with both of its meanings side by side: the SQL predicate the log reader runs and the
 * test the live feed applies to events already in memory. A subscription reads from both (the log while it
 * catches up, the tailer's window once live), so the two must agree; test/integration/event-filter.test.ts holds
 * them to it on every field. A field added to EventFilter fails to compile here until it has both.
 */
const FIELDS: {
  readonly [F in Field]-?: {
    sql(param: string): string;
    test(event: StoredEvent, value: NonNullable<EventFilter[F]>): boolean;
  };
} = {
  aggregateId: { sql: (p) => `aggregate_id = ${p}`, test: (e, v) => e.aggregateId === v },
  aggregateType: { sql: (p) => `aggregate_type = ${p}`, test: (e, v) => e.aggregateType === v },
  eventTypes: { sql: (p) => `event_type = ANY(${p}::text[])`, test: (e, v) => v.includes(e.eventType) },
  correlationIds: {
    sql: (p) => `metadata ->> 'correlationId' = ANY(${p}::text[])`,
    test: (e, v) => v.includes(e.metadata.correlationId),
  },
  fromTimestamp: { sql: (p) => `timestamp >= ${p}`, test: (e, v) => e.timestamp >= v },
  ownerId: { sql: (p) => `owner_id = ${p}`, test: (e, v) => e.ownerId === v },
};

const ORDER = Object.keys(FIELDS) as Field[];

/** The filter's SQL conditions (joined with AND), numbering its parameters after `values`, which it extends. */
export function filterConditions(filter: EventFilter, values: unknown[]): string[] {
  const where: string[] = [];
  for (const field of ORDER) {
    const value = filter[field];
    if (value === undefined) continue;
    values.push(value);
    where.push(FIELDS[field].sql(`$${values.length}`));
  }
  return where;
}

/** Whether an event matches the filter, as the SQL conditions would decide. */
export function matchesFilter(filter: EventFilter, event: StoredEvent): boolean {
  for (const field of ORDER) {
    const value = filter[field];
    if (value !== undefined && !(FIELDS[field].test as (e: StoredEvent, v: unknown) => boolean)(event, value))
      return false;
  }
  return true;
}
