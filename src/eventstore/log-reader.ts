import type { Db } from '../db/prisma';
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
  /**
   * Committed events wait above the horizon (transactions that began before theirs are still open): they become
   * readable when the horizon moves, and no append will announce them again. Unknown (undefined) for a page that
   * was not read from the log itself.
   */
  heldBack?: boolean;
};

/**
 * The one statement of a log read (what `readLog` sends; the bench sends it through `pg` as well, to compare the
 * clients on the very same SQL). One statement, one snapshot: the horizon and the rows come from the same view of
 * the log.
 */
export function readLogStatement(
  after: bigint,
  limit: number,
  filter: EventFilter = {},
): { text: string; values: unknown[] } {
  const values: unknown[] = [after, limit];
  const where = filterConditions(filter, values);
  // `head` is the last event below the horizon, whatever its type: a reader that found nothing matching has still
  // read that far. (The horizon itself moves with any transaction, a checkpoint update included, and a reader that
  // saved it as progress would write for ever on an idle log.)
  const text = `WITH h AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16) AS horizon),
      -- A scalar subquery with ORDER BY ... LIMIT 1, so it is one backward step on the primary key: max() over a
      -- join with h scanned the whole log below the horizon on every read.
      top AS (SELECT coalesce((SELECT position FROM events WHERE position < (SELECT horizon FROM h)
                               ORDER BY position DESC LIMIT 1), 0) AS head,
                     coalesce((SELECT position FROM events ORDER BY position DESC LIMIT 1), 0)
                       >= (SELECT horizon FROM h) AS held)
      SELECT top.head, top.held, e.* FROM h CROSS JOIN top LEFT JOIN LATERAL (
        SELECT ${EVENT_COLUMNS} FROM events
        WHERE position > $1 AND position < h.horizon ${where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY position LIMIT $2
      ) e ON true
      ORDER BY e.position`;
  return { text, values };
}

/**
 * The gap-safe reader of the global log. Positions are (transaction id, index) packed into a bigint, and a
 * transaction id below the snapshot's xmin belongs to a transaction that has finished: every event below
 * `xmin << 16` is either visible now or will never exist. Returning only those, in position order, means a reader
 * never returns an event and later finds an earlier one committed behind it.
 */
export async function readLog(db: Db, after: bigint, limit: number, filter: EventFilter = {}): Promise<LogPage> {
  const { text, values } = readLogStatement(after, limit, filter);
  // Unsafe only in name: the text is built from this module's fixed filter conditions; every value is a parameter.
  const rows = await db.$queryRawUnsafe<
    (Omit<EventRow, 'position'> & { position: bigint | null; head: bigint; held: boolean })[]
  >(text, ...values);
  const { head, held } = rows[0]!;
  const events = rows.flatMap((r) => (r.position === null ? [] : [toStoredEvent({ ...r, position: r.position })]));
  const full = events.length === limit;
  const scannedTo = full ? events[events.length - 1]!.position : head > after ? head : after;
  return { events, scannedTo, heldBack: held };
}

/** The position below which the log is complete right now (for lag reports and "start at the head"). */
export async function logHead(db: Db): Promise<bigint> {
  const rows = await db.$queryRaw<{ head: bigint | null }[]>`SELECT max(position) AS head FROM events
      WHERE position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16)`;
  return rows[0]?.head ?? 0n;
}

/** How many events (of these types, or of any) lie in (after, upTo]: a consumer's lag behind the head. */
export async function countEvents(
  db: Db,
  after: bigint,
  upTo: bigint,
  eventTypes?: readonly string[],
): Promise<number> {
  return db.event.count({
    where: { position: { gt: after, lte: upTo }, eventType: eventTypes ? { in: [...eventTypes] } : undefined },
  });
}
