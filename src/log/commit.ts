import type { Socket } from 'node:net';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { isTransient } from '../db/sql-errors';

/**
 * What a batch sends its statements through: one transaction on a pipelined connection. Statements issued in the
 * same tick leave in one write, and each is sent at once, without waiting for the answer to the one before.
 */
export type Statements = {
  query<R extends QueryResultRow = QueryResultRow>(
    statement: QueryConfig | string,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
};

/**
 * What a batch hands back once it has read and folded: the statements that write its effect, and what the caller
 * gets when they have committed. `write` sends every statement before it returns (it may await their answers
 * after): the COMMIT goes out right behind them, in the same write, rather than a round trip after they answer.
 */
export type BatchEffect<R> = { write(tx: Statements): Promise<unknown>; result: R };

/** The checkpoint was not where this processor left it: another instance moved it, so this one does not lead. */
export class CheckpointMoved extends Error {}

export type BatchSteps<R> = {
  /** Sent first, on the wire with BEGIN: false aborts the batch with CheckpointMoved (a compare-and-set). */
  guard?(tx: Statements): Promise<boolean>;
  /** Reads and folds; returns the batch's writes. */
  apply(tx: Statements): Promise<BatchEffect<R>>;
  /** Statements that go out right behind the writes (progress of a rebuild). */
  close?(tx: Statements): Promise<unknown>;
  /** Test seam: runs after everything else, before COMMIT (which then waits for it rather than going early). */
  beforeCommit?(tx: Statements): Promise<void>;
};

/**
 * The commit protocol of every batch, in one place: BEGIN goes out with the guard and the first reads, not a round
 * trip before them, and COMMIT right behind the last writes once the guard has answered. Both the guard and the
 * writes are settled before the transaction ends, so the ROLLBACK a failed guard leads to cannot overtake a write.
 */
export function commitBatch<R>(batchPool: Pool, steps: BatchSteps<R>): Promise<R> {
  return inBatchTransaction(batchPool, async (tx, commit) => {
    const guarded = steps.guard ? steps.guard(tx) : Promise.resolve(true);
    const applied = (async () => {
      const effect = await steps.apply(tx);
      const writes = effect.write(tx);
      const closing = steps.close?.(tx);
      // The guard's answer came back with the first reads, before the fold could know what to write.
      if (!steps.beforeCommit && (await guarded.catch(() => false))) commit();
      await writes;
      await closing;
      return effect.result;
    })();
    const [guard, result] = await Promise.allSettled([guarded, applied]);
    if (guard.status === 'rejected') throw guard.reason;
    if (result.status === 'rejected') throw result.reason;
    if (!guard.value) throw new CheckpointMoved();
    await steps.beforeCommit?.(tx);
    return result.value;
  });
}

/**
 * `fn` in one transaction on a pipelined connection: BEGIN goes out with the first statements of `fn`, and COMMIT,
 * when `fn` calls `commit` once its last statements are issued, right behind them (after `commit`, `tx` refuses
 * further statements). Rolls back on any error (a COMMIT sent behind a statement that failed ends the transaction
 * in a rollback anyway); a connection that broke is discarded, not returned to the pool.
 */
export async function inBatchTransaction<T>(
  batchPool: Pool,
  fn: (tx: Statements, commit: () => void) => Promise<T>,
): Promise<T> {
  const client = await batchPool.connect();
  let broken = false;
  // A checked-out client that loses its connection emits 'error'; unheard, that would crash the process. The
  // query in flight fails too, and that is where the caller handles it.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  const send = coalescedSend(client);
  let committing: Promise<unknown> | undefined;
  const tx: Statements = {
    query: <R extends QueryResultRow>(statement: QueryConfig | string, values?: unknown[]) => {
      if (committing) return Promise.reject(new Error('a statement after the batch transaction was committed'));
      return send<R>(statement, values);
    },
  };
  const commit = () => {
    if (committing) return;
    committing = send('COMMIT');
    // Awaited below; a failure before then is the statements' own, which fn reports.
    committing.catch(() => undefined);
  };
  try {
    const begun = send('BEGIN');
    // Its failure (the connection) fails every statement after it too; it is awaited below, not lost.
    begun.catch(() => undefined);
    const result = await fn(tx, commit);
    await begun;
    const { command } = (await (committing ?? send('COMMIT'))) as { command?: string };
    // COMMIT in a transaction that a failed statement aborted answers ROLLBACK, not an error: fn has thrown then,
    // unless it swallowed the failure, which must not pass for a commit.
    if (command === 'ROLLBACK') throw new Error('the batch transaction was rolled back at its commit');
    return result;
  } catch (error) {
    broken = isTransient(error);
    // A transaction whose COMMIT went out has ended either way; otherwise it is rolled back here.
    await (committing ?? send('ROLLBACK')).catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Sends statements so that those issued in the same tick leave in one write. On the pipelined connection every
 * `query` is otherwise its own socket write (a system call), and a batch issues its statements in groups: BEGIN,
 * the checkpoint and the first read, then the writes and COMMIT. Corking the socket until the tick ends turns each
 * group into one write. pg offers no batch API, hence the reach into its connection's socket.
 */
function coalescedSend(client: PoolClient) {
  const stream = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  const corks = !!stream && typeof stream.cork === 'function';
  let corked = false;
  const uncork = () => {
    corked = false;
    stream!.uncork();
  };
  return <R extends QueryResultRow = QueryResultRow>(
    statement: QueryConfig | string,
    values?: unknown[],
  ): Promise<QueryResult<R>> => {
    if (corks && !corked) {
      corked = true;
      stream!.cork();
      process.nextTick(uncork);
    }
    return typeof statement === 'string' ? client.query<R>(statement, values) : client.query<R>(statement);
  };
}
