import type { Pool, PoolClient } from 'pg';
import { isTransient } from '../db/sql-errors';

/**
 * `fn` in one transaction on a pipelined connection: BEGIN goes out with the first statements of `fn`, not a
 * round trip before them. Rolls back on any error; a connection that broke is discarded, not returned to the pool.
 */
export async function inBatchTransaction<T>(batchPool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await batchPool.connect();
  let broken = false;
  // A checked-out client that loses its connection emits 'error'; unheard, that would crash the process. The
  // query in flight fails too, and that is where the caller handles it.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    const begun = client.query('BEGIN');
    // Its failure (the connection) fails every statement after it too; it is awaited below, not lost.
    begun.catch(() => undefined);
    const result = await fn(client);
    await begun;
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = isTransient(error);
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
