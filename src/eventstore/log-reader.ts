import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { filterConditions } from './event-filter';
import { EVENT_COLUMNS, toStoredEvent, type EventRow } from './rows';
import type { EventFilter, StoredEvent } from './types';

export type LogPage = {
  events: StoredEvent[];
  /**
   * How far this read is complete: every matching event at or below it has been returned, now and for ever. It
   * only moves when events (of any type) were appended.
   * A filtered reader resumes from here rather than from its last event, so it does not rescan skipped rows.
   */
  scannedTo: bigint;
};

/**
 * The gap-safe reader of the global log. Positions are (transaction id, index) packed into a bigint, and a
 * transaction id below the snapshot's xmin belongs to a transaction that has finished: every event below
 * `xmin << 16` is either visible now or will never exist. Returning only those, in position order, means a reader
 * never returns an event and later finds an earlier one committed behind it.
 */
export async function readLog(pool: Pool, after: bigint, limit: number, filter: EventFilter = {}): Promise<LogPage> {
  const values: unknown[] = [after.toString(), limit];
  const where = filterConditions(filter, values);
  // Prepared per filter shape; PostgreSQL cuts statement names at 63 bytes, so the shape is hashed.
  const shape = createHash('sha1').update(where.join(' AND ')).digest('hex').slice(0, 16);

  // One statement, one snapshot: the horizon and the rows come from the same view of the log.
  const { rows } = await pool.query<EventRow & { head: string }>({
    name: `read-log-${shape}`,
    // `head` is the last event below the horizon, whatever its type: a reader that found nothing matching has
    // still read that far. (The horizon itself moves with any transaction, a checkpoint update included, and a
    // reader that saved it as progress would write for ever on an idle log.)
    text: `WITH h AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16) AS horizon),
      -- A scalar subquery with ORDER BY ... LIMIT 1, so it is one backward step on the primary key: max() over a
      -- join with h scanned the whole log below the horizon on every read.
      top AS (SELECT coalesce((SELECT position FROM events WHERE position < (SELECT horizon FROM h)
                               ORDER BY position DESC LIMIT 1), 0) AS head)
      SELECT top.head::text AS head, e.* FROM h CROSS JOIN top LEFT JOIN LATERAL (
        SELECT ${EVENT_COLUMNS} FROM events
        WHERE position > $1 AND position < h.horizon ${where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY position LIMIT $2
      ) e ON true
      ORDER BY e.position`,
    values,
  });
  const head = BigInt(rows[0]!.head);
  const events = rows.filter((r) => r.position !== null).map(toStoredEvent);
  const full = events.length === limit;
  const scannedTo = full ? events[events.length - 1]!.position : head > after ? head : after;
  return { events, scannedTo };
}

/** The position below which the log is complete right now (for lag reports and "start at the head"). */
export async function logHead(pool: Pool): Promise<bigint> {
  const { rows } = await pool.query<{ head: string | null }>({
    name: 'log-head',
    text: `SELECT max(position)::text AS head FROM events
      WHERE position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)`,
  });
  return rows[0]?.head ? BigInt(rows[0].head) : 0n;
}
