import { types, type CustomTypesConfig, type Pool } from 'pg';
import type { Db } from '../db/prisma';
import { filterConditions } from './event-filter';
import { knownJsonBytes } from './event-size';
import { EVENT_COLUMNS } from './rows';
import type { EventFilter, LogPage, StoredEvent } from './types';

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
 * How `pg` hands the log read's columns over: int8 as a bigint (positions pass 2^53), jsonb as its text, which
 * `toLoggedEvent` parses and sizes in one go; everything else as pg parses it (timestamptz as a Date).
 */
const LOG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === types.builtins.INT8) return BigInt;
    if (oid === types.builtins.JSONB) return (text: string) => text;
    return types.getTypeParser(oid, format);
  },
} as CustomTypesConfig;

/** The names the log read's forms (one per combination of filter fields) are prepared under, per pool connection. */
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `log-read-${statementNames.size}`));
  return name;
}

/** A row of the log read, as an array in the statement's column order: `head`, `held`, then EVENT_COLUMNS. */
type LogRow = [
  head: bigint,
  held: boolean,
  position: bigint | null,
  eventId: string,
  eventType: string,
  aggregateId: string,
  aggregateType: string,
  version: number,
  timestamp: Date,
  schemaVersion: number,
  payload: string,
  metadata: string,
  ownerId: string | null,
];

function toLoggedEvent(row: LogRow): StoredEvent {
  const event: StoredEvent = {
    eventId: row[3],
    eventType: row[4],
    aggregateId: row[5],
    aggregateType: row[6],
    version: row[7],
    position: row[2]!,
    timestamp: row[8],
    schemaVersion: row[9],
    payload: JSON.parse(row[10]),
    metadata: JSON.parse(row[11]) as StoredEvent['metadata'],
    ownerId: row[12],
  };
  knownJsonBytes(event, row[10].length + row[11].length);
  return event;
}

/**
 * The gap-safe reader of the global log. Positions are (transaction id, index) packed into a bigint, and a
 * transaction id below the snapshot's xmin belongs to a transaction that has finished: every event below
 * `xmin << 16` is either visible now or will never exist. Returning only those, in position order, means a reader
 * never returns an event and later finds an earlier one committed behind it.
 *
 * Through `pg` rather than Prisma, the one read of the store that is: the tailer, every projector catching up and
 * every subscriber behind the window read the log through here, a long backlog many times over, and Prisma's row
 * decoding and its garbage were the largest items of the catch-up's profile. Measured (pages of 1,000 order events,
 * CPU of the reading process, docs/performance.md, 2026-12-07): 8.8-10.1 µs per event through Prisma, 6.0-6.7 µs
 * through `pg`, the decoding below included.
 */
export async function readLog(
  pool: Pool,
  after: bigint,
  limit: number,
  filter: EventFilter = {},
  onQuery?: (sql: string) => void,
): Promise<LogPage> {
  const { text, values } = readLogStatement(after, limit, filter);
  onQuery?.(text);
  const { rows } = await pool.query<LogRow>({
    name: statementName(text),
    text,
    values,
    rowMode: 'array',
    types: LOG_TYPES,
  });
  const [head, held] = rows[0]!;
  const events: StoredEvent[] = [];
  for (const row of rows) if (row[2] !== null) events.push(toLoggedEvent(row));
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
