import type { StoredEvent } from './types';

/**
 * The columns every event read selects, in the shape `toStoredEvent` maps. `position` stays a bigint in SQL (an
 * alias cast to text would make `ORDER BY position` sort digits as text); node-postgres hands int8 over as a string.
 */
export const EVENT_COLUMNS = `position, event_id, event_type, aggregate_id, aggregate_type, version,
  timestamp, schema_version, payload, metadata`;

export type EventRow = {
  position: string;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  aggregate_type: string;
  version: number;
  timestamp: Date;
  schema_version: number;
  payload: unknown;
  metadata: StoredEvent['metadata'];
};

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    eventType: row.event_type,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    version: row.version,
    position: BigInt(row.position),
    timestamp: row.timestamp,
    schemaVersion: row.schema_version,
    payload: row.payload,
    metadata: row.metadata,
  };
}
