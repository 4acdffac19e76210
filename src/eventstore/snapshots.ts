import type { Pool } from 'pg';
import type { Db } from '../db/prisma';
import { EVENT_COLUMNS, EVENT_ROW_TYPES, toStoredEvent, type EventRow } from './rows';
import type { StoredEvent } from './types';

/** The latest saved state of one aggregate: everything up to and including `version` is folded into `state`. */
export type Snapshot = {
  aggregateId: string;
  aggregateType: string;
  /** The stream version the state is as of. */
  version: number;
  /** The shape version of `state` (the aggregate's `snapshotVersion` when it was taken). */
  snapshotVersion: number;
  state: unknown;
  takenAt: Date;
};

export type NewSnapshot = Omit<Snapshot, 'takenAt'>;

/**
 * JSON keeps neither Dates nor bigints, and states and views hold both (timestamps, positions): they are stored
 * tagged and revived on load, so a state read from a snapshot equals the one that was saved.
 */
export function encode(state: unknown): string {
  return JSON.stringify(state, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    return value;
  });
}

/** The tagged Dates and bigints of `encode`, revived in the JSON the client has already parsed. */
export function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(revive);
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, tag] = entries[0]!;
    if (key === '$date' && typeof tag === 'string') return new Date(tag);
    if (key === '$bigint' && typeof tag === 'string') return BigInt(tag);
  }
  return Object.fromEntries(entries.map(([key, inner]) => [key, revive(inner)]));
}

/** The aggregate's latest snapshot, whatever its type and shape version: the caller decides whether it fits. */
export async function loadSnapshot(db: Db, aggregateId: string): Promise<Snapshot | undefined> {
  const row = await db.snapshot.findUnique({ where: { aggregateId } });
  return row ? { ...row, state: revive(row.state) } : undefined;
}

/**
 * Saves a snapshot unless one at the same or a later version is already there: concurrent or late writers can
 * only move it forward (a condition on the upsert's update that Prisma's upsert cannot state). Returns whether
 * this one was stored.
 */
export async function saveSnapshot(db: Db, snapshot: NewSnapshot): Promise<boolean> {
  const stored = await db.$executeRaw`
    INSERT INTO snapshots (aggregate_id, aggregate_type, version, snapshot_version, state, taken_at)
    VALUES (${snapshot.aggregateId}, ${snapshot.aggregateType}, ${snapshot.version}, ${snapshot.snapshotVersion},
      ${encode(snapshot.state)}::jsonb, now())
    ON CONFLICT (aggregate_id) DO UPDATE SET aggregate_type = EXCLUDED.aggregate_type,
      version = EXCLUDED.version, snapshot_version = EXCLUDED.snapshot_version, state = EXCLUDED.state,
      taken_at = EXCLUDED.taken_at
    WHERE snapshots.version < EXCLUDED.version`;
  return stored === 1;
}

/** Which snapshot an aggregate can start from: one taken of its type, in its current state shape. */
export type SnapshotFit = { aggregateType: string; snapshotVersion: number };

export type LoadedStream = {
  /** The latest fitting snapshot at or below `toVersion`, if any. */
  snapshot?: { version: number; state: unknown };
  /** The events after the snapshot (from `readFrom` when that is lower), in version order. */
  events: StoredEvent[];
};

type Row = EventRow & { snapshot_at: number | null; snapshot_state: unknown };

/**
 * An aggregate's latest fitting snapshot and the events after it, in one statement: a command's load is one round
 * trip, not two (and the snapshot read no model query). The first branch yields the snapshot's row if there is
 * one, the second the events, with the snapshot's version read from the same CTE, so both are one snapshot of
 * the database.
 *
 * Sent with `pg`, prepared once per connection, rather than through Prisma's raw query: every command loads, and
 * through Prisma the same statement cost more than twice the CPU (docs/performance.md).
 */
export async function loadStream(
  pool: Pool,
  aggregateId: string,
  fit: SnapshotFit,
  range: { toVersion?: number; readFrom?: number } = {},
): Promise<LoadedStream> {
  const { rows } = await pool.query<Row>({
    name: 'load-stream',
    types: EVENT_ROW_TYPES,
    text: `WITH snap AS (
      SELECT version, state FROM snapshots
      WHERE aggregate_id = $1 AND aggregate_type = $2 AND snapshot_version = $3 AND version <= $4)
    SELECT version AS snapshot_at, state AS snapshot_state, NULL::bigint AS position, NULL::uuid AS event_id,
      NULL::text AS event_type, NULL::text AS aggregate_id, NULL::text AS aggregate_type, NULL::int AS version,
      NULL::timestamptz AS timestamp, NULL::int AS schema_version, NULL::jsonb AS payload, NULL::jsonb AS metadata,
      NULL::text AS owner_id
    FROM snap
    UNION ALL
    SELECT NULL, NULL, ${EVENT_COLUMNS} FROM events
    WHERE aggregate_id = $1 AND version <= $4
      AND version >= LEAST(coalesce((SELECT version FROM snap), 0) + 1, $5)`,
    values: [
      aggregateId,
      fit.aggregateType,
      fit.snapshotVersion,
      range.toVersion ?? 2147483647,
      range.readFrom ?? 2147483647,
    ],
  });
  let snapshot: LoadedStream['snapshot'];
  const events: StoredEvent[] = [];
  for (const row of rows) {
    if (row.snapshot_at !== null) snapshot = { version: row.snapshot_at, state: revive(row.snapshot_state) };
    else events.push(toStoredEvent(row));
  }
  // UNION ALL promises no order: the versions are sorted here rather than by a sort over the whole union.
  events.sort((a, b) => a.version - b.version);
  return { snapshot, events };
}

/** Deletes the snapshots of every aggregate `ownerId` owns: a forgotten customer's, sealed under a deleted key. */
export async function deleteSnapshotsOf(db: Db, ownerId: string): Promise<void> {
  await db.$executeRaw`
    DELETE FROM snapshots WHERE aggregate_id IN (SELECT DISTINCT aggregate_id FROM events WHERE owner_id = ${ownerId})`;
}
