import type { Db } from '../db/prisma';

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
function encode(state: unknown): string {
  return JSON.stringify(state, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    return value;
  });
}

/** The tagged Dates and bigints of `encode`, revived in the JSON Prisma has already parsed. */
function revive(value: unknown): unknown {
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
