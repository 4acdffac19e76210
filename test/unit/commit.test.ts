import type { Pool } from 'pg';
import { CheckpointMoved, commitBatch } from '../../src/log/commit';

// The commit protocol every batch shares: what goes on the wire, and in which order, on a pipelined connection.

type Answer = { rowCount?: number; command?: string };

/** A pool of one pipelined connection that records each statement as it is sent, and answers when told. */
function fakePool(answers: Record<string, () => Promise<Answer>> = {}) {
  const sent: string[] = [];
  let released: boolean | undefined;
  const client = {
    on: () => undefined,
    off: () => undefined,
    release: (broken?: boolean) => {
      released = broken ?? false;
    },
    query: (statement: string | { text: string }) => {
      const text = typeof statement === 'string' ? statement : statement.text;
      sent.push(text);
      return (answers[text] ?? (() => Promise.resolve({ rowCount: 1, command: text })))();
    },
  };
  const pool = { connect: () => Promise.resolve(client) } as unknown as Pool;
  return { pool, sent, released: () => released };
}

function deferred(): { promise: Promise<Answer>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<Answer>((r) => (resolve = () => r({ rowCount: 1 })));
  return { promise, resolve };
}

it('sends BEGIN with the guard and the first read, and COMMIT right behind the writes, before they answer', async () => {
  const write = deferred();
  const { pool, sent, released } = fakePool({ WRITE: () => write.promise });
  const done = commitBatch(pool, {
    guard: async (tx) => (await tx.query('GUARD')).rowCount === 1,
    apply: async (tx) => {
      await tx.query('READ');
      return { write: (w) => w.query('WRITE'), result: 'applied' };
    },
  });
  await new Promise((resolve) => setImmediate(resolve));
  const sentBeforeWriteAnswered = [...sent];
  write.resolve();
  await expect(done).resolves.toBe('applied');
  expect(sentBeforeWriteAnswered).toEqual(['BEGIN', 'GUARD', 'READ', 'WRITE', 'COMMIT']);
  expect(sent).toEqual(['BEGIN', 'GUARD', 'READ', 'WRITE', 'COMMIT']);
  expect(released()).toBe(false);
});

it('rolls back once the writes have settled when the guard finds the checkpoint moved', async () => {
  const { pool, sent } = fakePool({ GUARD: () => Promise.resolve({ rowCount: 0 }) });
  const done = commitBatch(pool, {
    guard: async (tx) => (await tx.query('GUARD')).rowCount === 1,
    apply: async () => ({ write: (tx) => tx.query('WRITE'), result: undefined }),
  });
  await expect(done).rejects.toBeInstanceOf(CheckpointMoved);
  expect(sent).toEqual(['BEGIN', 'GUARD', 'WRITE', 'ROLLBACK']);
});

it('sends what closes the batch behind the writes, and refuses a statement after COMMIT', async () => {
  const write = deferred();
  const { pool, sent } = fakePool({ WRITE: () => write.promise });
  let late: Promise<unknown> | undefined;
  const done = commitBatch(pool, {
    apply: async () => ({
      write: (tx) => {
        const writes = tx.query('WRITE');
        late = writes.then(() => tx.query('LATE'));
        return writes;
      },
      result: undefined,
    }),
    close: (tx) => tx.query('PROGRESS'),
  });
  await new Promise((resolve) => setImmediate(resolve));
  write.resolve();
  await done;
  await expect(late).rejects.toThrow('a statement after the batch transaction was committed');
  expect(sent).toEqual(['BEGIN', 'WRITE', 'PROGRESS', 'COMMIT']);
});

it('waits for the test seam before COMMIT, which then follows it', async () => {
  const { pool, sent } = fakePool();
  await commitBatch(pool, {
    apply: async () => ({ write: (tx) => tx.query('WRITE'), result: undefined }),
    beforeCommit: async (tx) => void (await tx.query('SEAM')),
  });
  expect(sent).toEqual(['BEGIN', 'WRITE', 'SEAM', 'COMMIT']);
});
