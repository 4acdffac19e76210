import { Pool, type PoolClient } from 'pg';

/** What became of an event: `shipped`, or `refused:<code>[:<rule>]` when orderstream refused it for good. */
export type Outcome = string;

export type InboxEntry = { eventId: string; orderId: string; outcome: Outcome };

/** The table's one home: every statement that names `fulfillment_inbox` is in this module. */
export type Inbox = {
  /** The outcome recorded for this event, or undefined when it has not been processed. */
  outcome(eventId: string): Promise<Outcome | undefined>;
  /**
   * Records the entry and runs `effects` (the service's own writes, if it had any) in one transaction, so either
   * both are there or neither is. Returns false, running no effects, when the event was recorded already (a
   * duplicate processed concurrently won the race).
   */
  record(entry: InboxEntry, effects?: (tx: PoolClient) => Promise<void>): Promise<boolean>;
};

/**
 * Connections for the inbox. A transaction left open would, on a server shared with orderstream, hold back its
 * log readers' horizon (pg_snapshot_xmin is cluster-wide), so idle transactions are cut after a while.
 */
export function createInboxPool(databaseUrl: string, max: number): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max,
    idleTimeoutMillis: 30_000,
    options: '-c idle_in_transaction_session_timeout=30000 -c statement_timeout=30000',
  });
  // An idle connection dropped by the server must not crash the process; the next query opens another.
  pool.on('error', () => undefined);
  return pool;
}

export function createInbox(pool: Pool): Inbox {
  return {
    async outcome(eventId) {
      const { rows } = await pool.query<{ outcome: string }>(
        'SELECT outcome FROM fulfillment_inbox WHERE event_id = $1',
        [eventId],
      );
      return rows[0]?.outcome;
    },
    async record(entry, effects) {
      const tx = await pool.connect();
      let broken: Error | undefined;
      try {
        await tx.query('BEGIN');
        const { rowCount } = await tx.query(
          'INSERT INTO fulfillment_inbox (event_id, order_id, outcome) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING',
          [entry.eventId, entry.orderId, entry.outcome],
        );
        if (rowCount === 1 && effects) await effects(tx);
        await tx.query('COMMIT');
        return rowCount === 1;
      } catch (error) {
        // A connection that cannot even roll back is dropped rather than handed to the next caller.
        await tx.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        tx.release(broken);
      }
    },
  };
}
