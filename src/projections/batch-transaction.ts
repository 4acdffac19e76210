import type { Pool, PoolClient } from 'pg';

/**
 * Errors that say nothing about the projector's logic, so the batch is retried rather than the projector FAILED:
 * the connection or the server went away (08, 57P), serialization or deadlock (40001, 40P01), the server out of
 * resources (53: disk, memory, connections), a cancelled statement or lock timeout (57014, 55P03), a system error
 * (58). SQLSTATE where PostgreSQL gave one; node-postgres's own connection errors carry no code, so those are
 * known by message.
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (typeof code === 'string') {
    return /^(08|57P|53|58)/.test(code) || ['40001', '40P01', '57014', '55P03'].includes(code);
  }
  return /Connection terminated|connection is closed|ECONNRESET|ECONNREFUSED|Client has encountered a connection error/i.test(
    String((error as Error).message ?? error),
  );
}

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
