import type { StoredEvent } from './types';

/**
 * The columns every event read selects, in the shape `toStoredEvent` maps. Prisma's raw queries hand int8 over as
 * a bigint, jsonb parsed and timestamptz as a Date, so the row needs no parsing of its own.
 */
export const EVENT_COLUMNS = `position, event_id, event_type, aggregate_id, aggregate_type, version,
  timestamp, schema_version, payload, metadata, owner_id`;

export type EventRow = {
  position: bigint;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  aggregate_type: string;
  version: number;
  timestamp: Date;
  schema_version: number;
  payload: unknown;
  metadata: StoredEvent['metadata'];
  owner_id: string | null;
};

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    eventType: row.event_type,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    version: row.version,
    position: row.position,
    timestamp: row.timestamp,
    schemaVersion: row.schema_version,
    payload: row.payload,
    metadata: row.metadata,
    ownerId: row.owner_id,
  };
}
