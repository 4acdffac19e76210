import type { Socket } from 'node:net';
import type { Pool, PoolClient } from 'pg';
import { isTransient } from '../db/sql-errors';

/**
 * `fn` in one transaction on a pipelined connection: BEGIN goes out with the first statements of `fn`, not a
 * round trip before them, and COMMIT, when `fn` calls `commit` once its last statements are issued, right behind
 * them rather than a round trip after they answer (after `commit`, the client refuses further statements). Rolls
 * back on any error (a COMMIT sent behind a statement that failed ends the transaction in a rollback anyway); a
 * connection that broke is discarded, not returned to the pool.
 */
export async function inBatchTransaction<T>(
  batchPool: Pool,
  fn: (client: PoolClient, commit: () => void) => Promise<T>,
): Promise<T> {
  const client = await batchPool.connect();
  let broken = false;
  // A checked-out client that loses its connection emits 'error'; unheard, that would crash the process. The
  // query in flight fails too, and that is where the caller handles it.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  const uncoalesce = coalesceWrites(client);
  let committing: Promise<unknown> | undefined;
  let reopen: () => void = () => undefined;
  const commit = () => {
    if (committing) return;
    committing = client.query('COMMIT');
    // Awaited below; a failure before then is the statements' own, which fn reports.
    committing.catch(() => undefined);
    const query = client.query;
    client.query = (() => {
      throw new Error('a statement after the batch transaction was committed');
    }) as PoolClient['query'];
    reopen = () => {
      client.query = query;
    };
  };
  try {
    const begun = client.query('BEGIN');
    // Its failure (the connection) fails every statement after it too; it is awaited below, not lost.
    begun.catch(() => undefined);
    const result = await fn(client, commit);
    await begun;
    const { command } = (await (committing ?? client.query('COMMIT'))) as { command?: string };
    // COMMIT in a transaction that a failed statement aborted answers ROLLBACK, not an error: fn has thrown then,
    // unless it swallowed the failure, which must not pass for a commit.
    if (command === 'ROLLBACK') throw new Error('the batch transaction was rolled back at its commit');
    return result;
  } catch (error) {
    broken = isTransient(error);
    // A transaction whose COMMIT went out has ended either way; otherwise it is rolled back here.
    await (committing ?? client.query('ROLLBACK')).catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    reopen();
    uncoalesce();
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Statements issued in the same tick leave in one write. On the pipelined connection every `query` is sent at
 * once, each its own socket write (a system call; socket writes were the largest single item of the server's CPU
 * profile under the bench's appends), and a batch issues its statements in groups: BEGIN, the checkpoint and the
 * first read, then the upserts. Corking the socket until the tick ends turns each group into one write. pg offers
 * no batch API, so its `query` on this checked-out client is wrapped for the transaction's length (and restored
 * before the client goes back to the pool).
 */
function coalesceWrites(client: PoolClient): () => void {
  const stream = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  if (!stream || typeof stream.cork !== 'function') return () => undefined;
  const query = client.query;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  client.query = function (this: PoolClient, ...args: unknown[]) {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as PoolClient['query'];
  return () => {
    client.query = query;
  };
}
