import type { Pool } from 'pg';

/** An order event as a test writes it straight into the log: nothing checks its payload. */
export type RawOrderEvent = {
  aggregateId: string;
  version: number;
  type: string;
  payload: object;
  schemaVersion?: number;
};

/**
 * Appends order events in one transaction with raw SQL, as an older release (or a bug) would have left them in the
 * log: numbered as the service's appends number positions, their streams' rows set to their versions. Returns the
 * events' ids, in order.
 */
export async function appendRaw(sql: Pool, events: readonly RawOrderEvent[]): Promise<string[]> {
  const client = await sql.connect();
  try {
    await client.query('BEGIN');
    for (const e of events) {
      await client.query(
        `INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES ($1, 'Order', $2)
         ON CONFLICT (aggregate_id) DO UPDATE SET version = EXCLUDED.version`,
        [e.aggregateId, e.version],
      );
    }
    const ids: string[] = [];
    for (const [i, e] of events.entries()) {
      const { rows } = await client.query(
        `INSERT INTO events (position, event_id, aggregate_id, aggregate_type, version, event_type, schema_version, payload, metadata)
         VALUES ((pg_current_xact_id()::text::bigint << 16) + $1, gen_random_uuid(), $2, 'Order', $3, $4, $5, $6, $7)
         RETURNING event_id::text AS id`,
        [
          i + 1,
          e.aggregateId,
          e.version,
          e.type,
          e.schemaVersion ?? 1,
          e.payload,
          { correlationId: 'raw', causationId: 'raw', userId: null },
        ],
      );
      ids.push(rows[0].id);
    }
    await client.query('COMMIT');
    return ids;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
