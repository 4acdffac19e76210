import type { Pool } from 'pg';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './rows';
import type { StoredEvent } from './types';

export type StreamRange = {
  fromVersion?: number;
  toVersion?: number;
  /** Only events stored at or before this instant. */
  until?: Date;
};

/** One aggregate's events in version order. */
export async function readStream(pool: Pool, aggregateId: string, range: StreamRange = {}): Promise<StoredEvent[]> {
  const { rows } = await pool.query<EventRow>({
    name: 'read-stream',
    text: `SELECT ${EVENT_COLUMNS} FROM events
      WHERE aggregate_id = $1 AND version >= $2 AND version <= $3 AND timestamp <= $4
      ORDER BY version`,
    values: [aggregateId, range.fromVersion ?? 1, range.toVersion ?? 2147483647, range.until ?? 'infinity'],
  });
  return rows.map(toStoredEvent);
}
