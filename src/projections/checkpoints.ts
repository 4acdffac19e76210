import type { Pool, PoolClient } from 'pg';
import type { CheckpointRow, ProjectionStatus } from './types';

type Row = {
  name: string;
  version: number;
  position: string;
  status: ProjectionStatus;
  last_error: string | null;
  failed_event_id: string | null;
  rebuild_requested_at: Date | null;
  rebuild_events: string | null;
  updated_at: Date;
};

const toCheckpoint = (r: Row): CheckpointRow => ({
  name: r.name,
  version: r.version,
  position: BigInt(r.position),
  status: r.status,
  lastError: r.last_error,
  failedEventId: r.failed_event_id,
  rebuildRequestedAt: r.rebuild_requested_at,
  rebuildEvents: r.rebuild_events === null ? null : BigInt(r.rebuild_events),
  updatedAt: r.updated_at,
});

type Db = Pool | PoolClient;

/** The checkpoint was not where this worker left it: another instance moved it, so this one does not lead. */
export class CheckpointMoved extends Error {}

export async function readCheckpoints(db: Db): Promise<CheckpointRow[]> {
  const { rows } = await db.query<Row>({
    name: 'checkpoints-all',
    text: 'SELECT * FROM projection_checkpoints ORDER BY name',
  });
  return rows.map(toCheckpoint);
}

export async function readCheckpoint(db: Db, name: string): Promise<CheckpointRow | undefined> {
  const { rows } = await db.query<Row>({
    name: 'checkpoint-one',
    text: 'SELECT * FROM projection_checkpoints WHERE name = $1',
    values: [name],
  });
  return rows[0] && toCheckpoint(rows[0]);
}

/** A new projector starts at the beginning of the log. */
export async function ensureCheckpoint(db: Db, name: string, version: number): Promise<CheckpointRow> {
  await db.query({
    name: 'checkpoint-ensure',
    text: `INSERT INTO projection_checkpoints (name, version) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
    values: [name, version],
  });
  return (await readCheckpoint(db, name))!;
}

/**
 * Moves a checkpoint from `from` to `to` inside the batch's transaction. False when someone else moved it first
 * (another instance that also believed it led): the caller must roll back, so no batch applies twice.
 */
export async function advanceCheckpoint(db: PoolClient, name: string, from: bigint, to: bigint): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'checkpoint-advance',
    text: `UPDATE projection_checkpoints SET position = $3, updated_at = now()
           WHERE name = $1 AND position = $2 AND status <> 'FAILED'`,
    values: [name, from.toString(), to.toString()],
  });
  return rowCount === 1;
}

export async function markFailed(db: Db, name: string, error: string, eventId: string | null): Promise<void> {
  await db.query({
    name: 'checkpoint-fail',
    text: `UPDATE projection_checkpoints SET status = 'FAILED', last_error = $2, failed_event_id = $3, updated_at = now()
           WHERE name = $1`,
    values: [name, error, eventId],
  });
}

/** Operator retry: a FAILED projector resumes from its checkpoint (just before the event that failed). */
export async function clearFailure(db: Db, name: string): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'checkpoint-retry',
    text: `UPDATE projection_checkpoints SET status = 'RUNNING', last_error = NULL, failed_event_id = NULL,
             updated_at = now() WHERE name = $1 AND status = 'FAILED'`,
    values: [name],
  });
  return rowCount === 1;
}

export async function requestRebuild(db: Db, name: string): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'checkpoint-request-rebuild',
    text: `UPDATE projection_checkpoints SET rebuild_requested_at = now(), updated_at = now() WHERE name = $1`,
    values: [name],
  });
  return rowCount === 1;
}

/** A rebuild begins: REBUILDING, with no progress yet. */
export async function markRebuilding(db: Db, name: string): Promise<void> {
  await db.query({
    name: 'checkpoint-rebuilding',
    text: `UPDATE projection_checkpoints SET status = 'REBUILDING', rebuild_position = 0, rebuild_events = 0 WHERE name = $1`,
    values: [name],
  });
}

/** How far the fresh tables have got, inside the transaction that wrote them. */
export async function recordRebuildProgress(
  db: PoolClient,
  name: string,
  position: bigint,
  events: number,
): Promise<void> {
  await db.query({
    name: 'checkpoint-rebuild-progress',
    text: 'UPDATE projection_checkpoints SET rebuild_position = $2, rebuild_events = $3 WHERE name = $1',
    values: [name, position.toString(), events],
  });
}

/** A rebuild by this code version failed: ask for it again, to run once an operator has retried. */
export async function requestRebuildAgain(db: Db, name: string, version: number): Promise<void> {
  await db.query({
    name: 'checkpoint-rebuild-again',
    text: `UPDATE projection_checkpoints SET version = $2, rebuild_requested_at = now() WHERE name = $1`,
    values: [name, version],
  });
}

/**
 * The rebuilt tables are in place (same transaction): the checkpoint moves to where the rebuild got, at the new
 * version, RUNNING. False when the live checkpoint moved meanwhile (another instance took over): roll back.
 */
export async function completeRebuild(
  db: PoolClient,
  name: string,
  { livePosition, position, version }: { livePosition: bigint; position: bigint; version: number },
): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'checkpoint-rebuild-complete',
    text: `UPDATE projection_checkpoints SET position = $3, version = $4, status = 'RUNNING', last_error = NULL,
             failed_event_id = NULL, rebuild_requested_at = NULL, rebuild_position = NULL, rebuild_events = NULL,
             updated_at = now()
           WHERE name = $1 AND position = $2`,
    values: [name, livePosition.toString(), position.toString(), version],
  });
  return rowCount === 1;
}
