import type { Db } from '../db/prisma';
import type { ProjectionCheckpoint } from '../generated/prisma/client';
import type { Statements } from './commit';

/**
 * Every statement on `projection_checkpoints`. Those inside a processor's batch transaction (advance, rebuild
 * progress, complete) run on that transaction's pipelined connection (see db/prisma.ts); the rest through Prisma.
 */

export const PROJECTION_STATUSES = ['RUNNING', 'FAILED', 'REBUILDING'] as const;
export type ProjectionStatus = (typeof PROJECTION_STATUSES)[number];

/** A row of projection_checkpoints: one per processor (each projector, the relay). */
export type CheckpointRow = {
  name: string;
  version: number;
  position: bigint;
  status: ProjectionStatus;
  lastError: string | null;
  failedEventId: string | null;
  rebuildRequestedAt: Date | null;
  rebuildEvents: bigint | null;
  updatedAt: Date;
};

function toStatus(status: string): ProjectionStatus {
  if ((PROJECTION_STATUSES as readonly string[]).includes(status)) return status as ProjectionStatus;
  throw new Error(`projection_checkpoints holds an unknown status "${status}"`);
}

const toCheckpoint = ({ rebuildPosition: _, ...row }: ProjectionCheckpoint): CheckpointRow => ({
  ...row,
  status: toStatus(row.status),
});

export async function readCheckpoints(db: Db): Promise<CheckpointRow[]> {
  return (await db.projectionCheckpoint.findMany({ orderBy: { name: 'asc' } })).map(toCheckpoint);
}

export async function readCheckpoint(db: Db, name: string): Promise<CheckpointRow | undefined> {
  const row = await db.projectionCheckpoint.findUnique({ where: { name } });
  return row ? toCheckpoint(row) : undefined;
}

/** A new projector starts at the beginning of the log. */
export async function ensureCheckpoint(db: Db, name: string, version: number): Promise<CheckpointRow> {
  // An upsert that updates nothing: two instances starting together both get the one row, neither fails.
  return toCheckpoint(await db.projectionCheckpoint.upsert({ where: { name }, create: { name, version }, update: {} }));
}

/**
 * Moves a checkpoint from `from` to `to` inside the batch's transaction. False when someone else moved it first
 * (another instance that also believed it led): the caller must roll back, so no batch applies twice.
 */
export async function advanceCheckpoint(tx: Statements, name: string, from: bigint, to: bigint): Promise<boolean> {
  const { rowCount } = await tx.query({
    name: 'checkpoint-advance',
    text: `UPDATE projection_checkpoints SET position = $3, updated_at = now()
           WHERE name = $1 AND position = $2 AND status <> 'FAILED'`,
    values: [name, from.toString(), to.toString()],
  });
  return rowCount === 1;
}

export async function markFailed(db: Db, name: string, error: string, eventId: string | null): Promise<void> {
  await db.projectionCheckpoint.updateMany({
    where: { name },
    data: { status: 'FAILED', lastError: error, failedEventId: eventId, updatedAt: new Date() },
  });
}

/** Operator retry: a FAILED projector resumes from its checkpoint (just before the event that failed). */
export async function clearFailure(db: Db, name: string): Promise<boolean> {
  const { count } = await db.projectionCheckpoint.updateMany({
    where: { name, status: 'FAILED' },
    data: { status: 'RUNNING', lastError: null, failedEventId: null, updatedAt: new Date() },
  });
  return count === 1;
}

export async function requestRebuild(db: Db, name: string): Promise<boolean> {
  const now = new Date();
  const { count } = await db.projectionCheckpoint.updateMany({
    where: { name },
    data: { rebuildRequestedAt: now, updatedAt: now },
  });
  return count === 1;
}

/** A rebuild begins: REBUILDING, with no progress yet. */
export async function markRebuilding(db: Db, name: string): Promise<void> {
  await db.projectionCheckpoint.updateMany({
    where: { name },
    data: { status: 'REBUILDING', rebuildPosition: 0n, rebuildEvents: 0n },
  });
}

/** How far the fresh tables have got, inside the transaction that wrote them. */
export async function recordRebuildProgress(
  tx: Statements,
  name: string,
  position: bigint,
  events: number,
): Promise<void> {
  await tx.query({
    name: 'checkpoint-rebuild-progress',
    text: 'UPDATE projection_checkpoints SET rebuild_position = $2, rebuild_events = $3 WHERE name = $1',
    values: [name, position.toString(), events],
  });
}

/** A rebuild by this code version failed: ask for it again, to run once an operator has retried. */
export async function requestRebuildAgain(db: Db, name: string, version: number): Promise<void> {
  await db.projectionCheckpoint.updateMany({ where: { name }, data: { version, rebuildRequestedAt: new Date() } });
}

/**
 * The rebuilt tables are in place (same transaction): the checkpoint moves to where the rebuild got, at the new
 * version, RUNNING. False when the live checkpoint moved meanwhile (another instance took over): roll back.
 */
export async function completeRebuild(
  tx: Statements,
  name: string,
  { livePosition, position, version }: { livePosition: bigint; position: bigint; version: number },
): Promise<boolean> {
  const { rowCount } = await tx.query({
    name: 'checkpoint-rebuild-complete',
    text: `UPDATE projection_checkpoints SET position = $3, version = $4, status = 'RUNNING', last_error = NULL,
             failed_event_id = NULL, rebuild_requested_at = NULL, rebuild_position = NULL, rebuild_events = NULL,
             updated_at = now()
           WHERE name = $1 AND position = $2`,
    values: [name, livePosition.toString(), position.toString(), version],
  });
  return rowCount === 1;
}

/**
 * Moves a checkpoint kept outside a batch transaction (the bus relay's, after the broker confirmed): from `from`
 * to `to`, or false when someone else moved it first (this process no longer leads that consumer).
 */
export async function moveCheckpoint(db: Db, name: string, from: bigint, to: bigint): Promise<boolean> {
  const { count } = await db.projectionCheckpoint.updateMany({
    where: { name, position: from },
    data: { position: to, lastError: null, updatedAt: new Date() },
  });
  return count === 1;
}

/** The last error of a consumer that retries by itself (the relay): shown to operators, cleared by progress. */
export async function recordError(db: Db, name: string, error: string): Promise<void> {
  await db.projectionCheckpoint.updateMany({ where: { name }, data: { lastError: error, updatedAt: new Date() } });
}

/** An operator's restart of a consumer from a position of their choice (the relay republishes from there). */
export async function resetCheckpoint(db: Db, name: string, position: bigint): Promise<boolean> {
  const { count } = await db.projectionCheckpoint.updateMany({
    where: { name },
    data: { position, lastError: null, updatedAt: new Date() },
  });
  return count === 1;
}

/**
 * Holds a processor's checkpoint row until the transaction ends: its batches, which move the row first thing, wait
 * meanwhile (an operator's retry or skip of a parked event takes turns with them). Its status; undefined when
 * there is no row.
 */
export async function lockCheckpoint(tx: Statements, name: string): Promise<ProjectionStatus | undefined> {
  const { rows } = await tx.query<{ status: string }>({
    text: 'SELECT status FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
    values: [name],
  });
  return rows[0] && toStatus(rows[0].status);
}
