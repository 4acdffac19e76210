import type { Pool } from 'pg';
import type { Db } from '../db/prisma';
import { EVENT_COLUMNS, EVENT_ROW_TYPES, toStoredEvent, type EventRow } from './rows';
import type { StoredEvent } from './types';

export type StreamRange = {
  fromVersion?: number;
  toVersion?: number;
  /** Only events stored at or before this instant. */
  until?: Date;
  /** Only if the stream is this owner's (a customer's read of an order): another's reads as no stream at all. */
  ownerId?: string;
};

/** One aggregate's events in version order: through `pg`, as a command's load (see loadStream). */
export async function readStream(pool: Pool, aggregateId: string, range: StreamRange = {}): Promise<StoredEvent[]> {
  const { rows } = await pool.query<EventRow>({
    name: 'read-stream',
    types: EVENT_ROW_TYPES,
    text: `SELECT ${EVENT_COLUMNS} FROM events
      WHERE aggregate_id = $1 AND version >= $2 AND version <= $3 AND timestamp <= $4::timestamptz
        AND ($5::text IS NULL OR owner_id = $5)
      ORDER BY version`,
    values: [
      aggregateId,
      range.fromVersion ?? 1,
      range.toVersion ?? 2147483647,
      range.until ?? 'infinity',
      range.ownerId ?? null,
    ],
  });
  return rows.map(toStoredEvent);
}

/**
 * Whether the stream's latest event records `ownerId` as its owner (false for no stream): one backward step on the
 * (aggregate_id, version) index, reading no payload, so that a customer's command on someone else's aggregate costs
 * what one on an unknown id costs.
 */
export async function ownsStream(db: Db, aggregateId: string, ownerId: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ owned: boolean | null }[]>`
    SELECT owner_id = ${ownerId} AS owned FROM events
    WHERE aggregate_id = ${aggregateId} ORDER BY version DESC LIMIT 1`;
  return rows[0]?.owned === true;
}

/** The owner its latest event records, or null (no owner, or no stream): whose key a snapshot of it is sealed with. */
export async function ownerOf(db: Db, aggregateId: string): Promise<string | null> {
  const rows = await db.$queryRaw<{ owner_id: string | null }[]>`
    SELECT owner_id FROM events WHERE aggregate_id = ${aggregateId} ORDER BY version DESC LIMIT 1`;
  return rows[0]?.owner_id ?? null;
}
