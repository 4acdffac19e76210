import type { Pool } from 'pg';

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

type Row = {
  aggregate_id: string;
  aggregate_type: string;
  version: number;
  snapshot_version: number;
  state: string;
  taken_at: Date;
};

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

function decode(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const tagged = value as Record<string, unknown>;
    const keys = Object.keys(tagged);
    if (keys.length !== 1) return value;
    if (typeof tagged.$date === 'string') return new Date(tagged.$date);
    if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint);
    return value;
  });
}

/** The aggregate's latest snapshot, whatever its type and shape version: the caller decides whether it fits. */
export async function loadSnapshot(pool: Pool, aggregateId: string): Promise<Snapshot | undefined> {
  const { rows } = await pool.query<Row>({
    name: 'load-snapshot',
    // As text, so `decode` sees the JSON before node-postgres parses it.
    text: `SELECT aggregate_id, aggregate_type, version, snapshot_version, state::text AS state, taken_at
      FROM snapshots WHERE aggregate_id = $1`,
    values: [aggregateId],
  });
  const row = rows[0];
  if (!row) return undefined;
  return {
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    version: row.version,
    snapshotVersion: row.snapshot_version,
    state: decode(row.state),
    takenAt: row.taken_at,
  };
}

/**
 * Saves a snapshot unless one at the same or a later version is already there: concurrent or late writers can
 * only move it forward. Returns whether this one was stored.
 */
export async function saveSnapshot(pool: Pool, snapshot: NewSnapshot): Promise<boolean> {
  const { rowCount } = await pool.query({
    name: 'save-snapshot',
    text: `INSERT INTO snapshots (aggregate_id, aggregate_type, version, snapshot_version, state, taken_at)
      VALUES ($1, $2, $3, $4, $5::jsonb, now())
      ON CONFLICT (aggregate_id) DO UPDATE SET aggregate_type = EXCLUDED.aggregate_type,
        version = EXCLUDED.version, snapshot_version = EXCLUDED.snapshot_version, state = EXCLUDED.state,
        taken_at = EXCLUDED.taken_at
      WHERE snapshots.version < EXCLUDED.version`,
    values: [
      snapshot.aggregateId,
      snapshot.aggregateType,
      snapshot.version,
      snapshot.snapshotVersion,
      encode(snapshot.state),
    ],
  });
  return rowCount === 1;
}
