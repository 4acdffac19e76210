import type { Db } from '../db/prisma';
import type { StoredEvent } from '../eventstore';
import type { Statements } from './commit';

/**
 * Every statement on `parked_events`: the events a processor could not apply and went past, and the later events
 * of their aggregates held behind them. Each aggregate has at most one head (a row without `held_behind`, the one
 * whose own fold failed); its later events wait behind it, so an aggregate's events are applied in log order or
 * not at all. Rows of a rebuild under way (`rebuild`) are its own, and replace the live ones at its swap. A skipped
 * row (`skipped_at`) is an operator's decision to drop its event, kept so that a rebuild drops it too; nothing else
 * sees it.
 */

export type ParkedRow = {
  eventId: string;
  aggregateId: string;
  position: bigint;
  error: string;
  /** The parked event of the same aggregate this one waits behind; null for the one whose own fold failed. */
  heldBehind: string | null;
  firstAttemptAt: Date;
  lastAttemptAt: Date;
  /** Times its own fold was tried: 0 for an event only held. */
  attempts: number;
};

/** What a processor writes for an event it goes past: a failure of its own, or held behind its aggregate's head. */
export type Parking = { event: StoredEvent; error: string; heldBehind: string | null };

export const heldError = (head: string) => `behind ${head}`;

/** The live rows of a processor, in log order. */
export async function readParked(db: Db, processor: string): Promise<ParkedRow[]> {
  const rows = await db.parkedEvent.findMany({
    where: { processor, rebuild: false, skippedAt: null },
    orderBy: { position: 'asc' },
  });
  return rows.map(({ processor: _p, rebuild: _r, skippedAt: _s, ...row }) => row);
}

/** Whether a processor has any rows, live or of a rebuild: a leader that has none need not look for holds. */
export async function hasParked(db: Db, processor: string): Promise<boolean> {
  return (await db.parkedEvent.count({ where: { processor, skippedAt: null }, take: 1 })) > 0;
}

/** The events an operator skipped: a rebuild drops them as the live projector did. */
export async function skippedEvents(db: Db, processor: string): Promise<Set<string>> {
  const rows = await db.parkedEvent.findMany({
    where: { processor, rebuild: false, skippedAt: { not: null } },
    select: { eventId: true },
  });
  return new Set(rows.map((r) => r.eventId));
}

/**
 * The heads among `aggregateIds` (aggregate → its parked event): a batch holds every event of these. Sent after the
 * batch's checkpoint move, so it reads past an operator's retry or skip that held the checkpoint row.
 */
export async function heldAggregates(
  tx: Statements,
  processor: string,
  rebuild: boolean,
  aggregateIds: readonly string[],
): Promise<Map<string, string>> {
  if (aggregateIds.length === 0) return new Map();
  const { rows } = await tx.query<{ aggregate_id: string; event_id: string }>({
    name: 'parked-heads',
    text: `SELECT aggregate_id, event_id::text FROM parked_events
           WHERE processor = $1 AND rebuild = $2 AND held_behind IS NULL AND skipped_at IS NULL
             AND aggregate_id = ANY($3::text[])`,
    values: [processor, rebuild, aggregateIds],
  });
  return new Map(rows.map((r) => [r.aggregate_id, r.event_id]));
}

export async function park(
  tx: Statements,
  processor: string,
  rebuild: boolean,
  parkings: readonly Parking[],
): Promise<void> {
  if (parkings.length === 0) return;
  await tx.query({
    name: 'parked-insert',
    text: `INSERT INTO parked_events (processor, rebuild, event_id, aggregate_id, position, error, held_behind, attempts)
           SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::uuid[], $8::int[])
           ON CONFLICT DO NOTHING`,
    values: [
      processor,
      rebuild,
      parkings.map((p) => p.event.eventId),
      parkings.map((p) => p.event.aggregateId),
      parkings.map((p) => p.event.position.toString()),
      parkings.map((p) => p.error),
      parkings.map((p) => p.heldBehind),
      parkings.map((p) => (p.heldBehind === null ? 1 : 0)),
    ],
  });
}

/** An event id as the store issues them: nothing else can be parked, nor reach the uuid cast. */
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The live row of one event, if parked. */
export async function parkedEvent(tx: Statements, processor: string, eventId: string): Promise<ParkedRow | undefined> {
  if (!EVENT_ID.test(eventId)) return undefined;
  const { rows } = await tx.query<ParkedRow>({
    text: `${SELECT_ROW} WHERE processor = $1 AND NOT rebuild AND skipped_at IS NULL AND event_id = $2`,
    values: [processor, eventId],
  });
  return rows[0] && toRow(rows[0]);
}

/** The live rows of one aggregate, in log order: its head first, then the events held behind it. */
export async function parkedOfAggregate(tx: Statements, processor: string, aggregateId: string): Promise<ParkedRow[]> {
  const { rows } = await tx.query<ParkedRow>({
    text: `${SELECT_ROW} WHERE processor = $1 AND NOT rebuild AND skipped_at IS NULL AND aggregate_id = $2
           ORDER BY position`,
    values: [processor, aggregateId],
  });
  return rows.map(toRow);
}

/** An operator dropped the event: its row stays, as the record a rebuild reads, and leaves every other view. */
export async function markSkipped(tx: Statements, processor: string, eventId: string): Promise<void> {
  await tx.query({
    text: `UPDATE parked_events SET skipped_at = now(), held_behind = NULL
           WHERE processor = $1 AND NOT rebuild AND event_id = $2`,
    values: [processor, eventId],
  });
}

export async function unpark(tx: Statements, processor: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await tx.query({
    text: 'DELETE FROM parked_events WHERE processor = $1 AND NOT rebuild AND event_id = ANY($2::uuid[])',
    values: [processor, eventIds],
  });
}

/**
 * An attempt at `head` failed again (or, for one held until now, for the first time): it is the aggregate's head,
 * with this error and one attempt more, and `behind` wait behind it.
 */
export async function recordAttempt(
  tx: Statements,
  processor: string,
  head: string,
  error: string,
  behind: readonly string[],
): Promise<void> {
  await Promise.all([
    tx.query({
      text: `UPDATE parked_events SET error = $3, held_behind = NULL, attempts = attempts + 1, last_attempt_at = now()
             WHERE processor = $1 AND NOT rebuild AND event_id = $2`,
      values: [processor, head, error],
    }),
    behind.length > 0 &&
      tx.query({
        text: `UPDATE parked_events SET held_behind = $3, error = $4
               WHERE processor = $1 AND NOT rebuild AND event_id = ANY($2::uuid[])`,
        values: [processor, behind, head, heldError(head)],
      }),
  ]);
}

/** A rebuild starts from the beginning of the log: whatever an earlier attempt parked is forgotten. */
export async function clearRebuildParked(db: Db, processor: string): Promise<void> {
  await db.parkedEvent.deleteMany({ where: { processor, rebuild: true } });
}

/**
 * At the swap (same transaction): the rebuild's rows replace the live ones, as its tables replace theirs; the
 * skipped stay (the rebuild dropped those events too, so it has no row of its own for them).
 */
export async function swapInRebuildParked(tx: Statements, processor: string): Promise<void> {
  await tx.query({
    text: 'DELETE FROM parked_events WHERE processor = $1 AND NOT rebuild AND skipped_at IS NULL',
    values: [processor],
  });
  await tx.query({
    text: 'UPDATE parked_events SET rebuild = false WHERE processor = $1 AND rebuild',
    values: [processor],
  });
}

const SELECT_ROW = `SELECT event_id::text AS "eventId", aggregate_id AS "aggregateId", position::text AS position,
  error, held_behind::text AS "heldBehind", first_attempt_at AS "firstAttemptAt", last_attempt_at AS "lastAttemptAt",
  attempts FROM parked_events`;

function toRow(row: ParkedRow): ParkedRow {
  return { ...row, position: BigInt(row.position) };
}
