import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { StoredEvent } from '../../src/eventstore';
import { upcasting } from '../../src/eventstore/upcasting';
import type { Projector, ReadModelChange } from '../../src/projections/types';
import { EVENT_SCHEMAS } from '../../src/slices';

/**
 * Projector specs: given events (as the log would hand them over, in batches), then the rows of its tables. The
 * projector runs against a real database in a transaction of its own per batch, as the runner runs it; the
 * runner itself (checkpoints, leadership, failures) is not involved.
 */
/** Positions keep increasing across the specs of a file, as they would in one log (they share its tables). */
let position = 1n << 16n;

const { currentVersion } = upcasting(EVENT_SCHEMAS);

export function projectorSpec(pool: Pool, projector: Projector) {
  const versions = new Map<string, number>();
  const at = new Date('2026-11-29T10:00:00.000Z');

  /**
   * An envelope with the next position, the aggregate's next version and a timestamp a second after the last. The
   * payload is taken to be in its type's current shape, as the store hands every event over.
   */
  function event(aggregateType: string, aggregateId: string, eventType: string, payload: unknown): StoredEvent {
    const version = (versions.get(aggregateId) ?? 0) + 1;
    versions.set(aggregateId, version);
    position += 1n << 16n;
    at.setTime(at.getTime() + 1000);
    return {
      eventId: randomUUID(),
      eventType,
      aggregateId,
      aggregateType,
      version,
      position,
      timestamp: new Date(at),
      schemaVersion: currentVersion(eventType),
      payload,
      metadata: { correlationId: 'spec', causationId: 'spec', userId: null },
      ownerId: null,
    };
  }

  /** Applies each batch in its own transaction; returns every change the projector reported. */
  async function given(...batches: StoredEvent[][]): Promise<ReadModelChange[]> {
    const changes: ReadModelChange[] = [];
    for (const batch of batches) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx = { client, table: (t: string) => t };
        const projected = await projector.apply(batch, tx);
        await projected.write(tx);
        changes.push(...projected.changes);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    }
    return changes;
  }

  /** The rows of one of the projector's tables, by primary key order, as text-typed JSON (exact amounts). */
  async function rows(table: string, where = 'true', values: unknown[] = []): Promise<Record<string, unknown>[]> {
    if (!projector.tables.includes(table)) throw new Error(`${projector.name} does not own ${table}`);
    const { rows } = await pool.query(`SELECT to_jsonb(t) AS row FROM "${table}" t WHERE ${where} ORDER BY 1`, values);
    return rows.map((r: { row: Record<string, unknown> }) => r.row);
  }

  return { event, given, rows };
}
