import type { Reads } from '../db/reads';
import type { ScheduledCommand } from '../generated/prisma/client';
import { ident, tableStatements, type Column } from '../projections/table-columns';
import type { ProjectionTx } from '../projections/types';

/**
 * The scheduled_commands table, one row per pending deadline: its columns, the projector's writes, the scheduler's
 * reads and removals, and the API's list, in one place.
 */
export const SCHEDULED_COMMANDS_TABLE = 'scheduled_commands';

export type ScheduledCommandRow = ScheduledCommand;

const COLUMNS: readonly Column<ScheduledCommand>[] = [
  ['key', 'key', 'text'],
  ['command', 'command', 'text'],
  ['input', 'input', 'jsonb'],
  ['due_at', 'dueAt', 'timestamptz'],
  ['causation_id', 'causationId', 'uuid'],
  ['correlation_id', 'correlationId', 'text'],
  ['position', 'position', 'bigint'],
];
const rows = tableStatements<ScheduledCommand>(COLUMNS, 'key');
const table = ident(SCHEDULED_COMMANDS_TABLE);

/** A batch's net effect per key: the row it leaves scheduled, or null for a key it cancelled. */
export async function writeScheduledCommands(
  tx: ProjectionTx,
  changes: ReadonlyMap<string, ScheduledCommand | null>,
): Promise<void> {
  const target = tx.table(SCHEDULED_COMMANDS_TABLE);
  const cancelled = [...changes].filter(([, row]) => row === null).map(([key]) => key);
  const scheduled = [...changes.values()].filter((row) => row !== null);
  await Promise.all([
    rows.upsert(tx.client, target, scheduled),
    cancelled.length === 0
      ? undefined
      : tx.client.query({
          name: `scheduled-commands-cancel:${target}`,
          text: `DELETE FROM ${ident(target)} WHERE key = ANY($1::text[])`,
          values: [cancelled],
        }),
  ]);
}

/** The earliest due rows of these commands (the others belong to code this process does not run). */
export function dueScheduledCommands(db: Reads, commands: readonly string[], limit: number) {
  return rows.loadWhere(
    db,
    SCHEDULED_COMMANDS_TABLE,
    'scheduled-commands-due',
    'due_at <= now() AND command = ANY($1::text[]) ORDER BY due_at, key LIMIT $2',
    [commands, limit],
  );
}

/**
 * How long until the next of these commands is due, by the database's clock (which stamped the events the due times
 * are reckoned from): 0 when one is due already, null when none is pending.
 */
export async function msUntilNextDue(db: Reads, commands: readonly string[]): Promise<number | null> {
  const {
    rows: [next],
  } = await db.query<{ ms: number | null }>({
    name: 'scheduled-commands-next',
    // No rows, no due time: NULL (greatest(0, NULL) would be 0, a command due now that never comes).
    text: `SELECT (extract(epoch FROM min(due_at) - now()) * 1000)::float8 AS ms
      FROM ${table} WHERE command = ANY($1::text[])`,
    values: [commands],
  });
  const ms = next?.ms ?? null;
  return ms === null ? null : Math.max(0, ms);
}

/** Removes a row once its command was answered: only the one sent (an event may have scheduled the key anew). */
export async function removeScheduledCommand(db: Reads, row: Pick<ScheduledCommand, 'key' | 'causationId'>) {
  await db.query({
    name: 'scheduled-commands-remove',
    text: `DELETE FROM ${table} WHERE key = $1 AND causation_id = $2`,
    values: [row.key, row.causationId],
  });
}

/** How far behind the scheduler is: rows pending, rows due already, and the oldest due one's lateness. */
export async function scheduledCommandsLag(
  db: Reads,
): Promise<{ pending: number; due: number; oldestDueSeconds: number }> {
  const {
    rows: [lag],
  } = await db.query<{ pending: number; due: number; oldest: number | null }>({
    name: 'scheduled-commands-lag',
    text: `SELECT count(*)::int AS pending, count(*) FILTER (WHERE due_at <= now())::int AS due,
        extract(epoch FROM now() - min(due_at) FILTER (WHERE due_at <= now()))::float8 AS oldest
      FROM ${table}`,
  });
  return { pending: lag?.pending ?? 0, due: lag?.due ?? 0, oldestDueSeconds: lag?.oldest ?? 0 };
}

/** The first `limit` pending rows, earliest due first (the API's list). */
export function listScheduledCommands(db: Reads, limit: number) {
  return rows.loadWhere(db, SCHEDULED_COMMANDS_TABLE, 'scheduled-commands-list', 'true ORDER BY due_at, key LIMIT $1', [
    limit,
  ]);
}
