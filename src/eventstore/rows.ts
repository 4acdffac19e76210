import { types, type CustomTypesConfig } from 'pg';
import type { StoredEvent } from './types';

/**
 * The columns every event read selects, in the shape `toStoredEvent` maps: int8 as a bigint, jsonb parsed and
 * timestamptz as a Date, as Prisma's raw queries hand them over and as `pg` does with EVENT_ROW_TYPES.
 */
export const EVENT_COLUMNS = `position, event_id, event_type, aggregate_id, aggregate_type, version,
  timestamp, schema_version, payload, metadata, owner_id`;

/** `pg`'s parsers, but int8 as a bigint (positions pass 2^53). */
export const EVENT_ROW_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === types.builtins.INT8) return BigInt;
    return types.getTypeParser(oid, format);
  },
} as CustomTypesConfig;

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
