import { Pool, type PoolConfig } from 'pg';

/**
 * Settings every connection of the service carries: a transaction left open by a stuck client would hold back
 * the log readers' horizon (pg_snapshot_xmin), so idle transactions are cut after a while.
 */
export function connectionConfig(databaseUrl: string): PoolConfig {
  return {
    connectionString: databaseUrl,
    options: '-c idle_in_transaction_session_timeout=30000 -c statement_timeout=60000',
  };
}

/**
 * `pipeline`: queries go out without waiting for the previous one's answer (node-postgres pipelining), so
 * statements issued together cost one round trip; their results still come back in order, one by one.
 */
export function createPool(databaseUrl: string, max: number, { pipeline = false } = {}): Pool {
  return new Pool({ ...connectionConfig(databaseUrl), max, idleTimeoutMillis: 30_000, pipeline } as PoolConfig);
}
