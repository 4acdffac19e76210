import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connectionConfig } from '../../src/db/pool';
import { type AppendRequest, type AppendResult, type StreamCondition } from '../../src/eventstore';
import { appendStatement } from '../../src/eventstore/append';
import { groupStatement } from '../../src/eventstore/group-statement';
import { ConcurrencyConflict } from '../../src/shared/errors';
import { openStore, type StoreFixture } from '../support/event-store';
import { eventually } from '../support/eventually';

// Conditions on other streams (AppendRequest.expectStreams): an append commits only if each named stream is still
// at the version given, checked in the append's own statement, and holds those streams until it commits.

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore();
});
afterAll(() => f.close());

const metadata = { correlationId: 'corr-c', causationId: 'cmd-c', userId: 'user-c' };

function request(
  aggregateId: string,
  expectedVersion: AppendRequest['expectedVersion'],
  expectStreams?: StreamCondition[],
): AppendRequest {
  return {
    aggregateId,
    aggregateType: 'Order',
    expectedVersion,
    events: [{ eventType: 'ItemAdded', payload: { n: 1 } }],
    metadata,
    expectStreams,
  };
}

/** A stream at `version`, for conditions to name. */
async function streamAt(version: number): Promise<string> {
  const id = randomUUID();
  for (let v = 0; v < version; v++) await f.store.append(request(id, v === 0 ? 'no-stream' : v));
  return id;
}

const transactionOf = (position: bigint) => position >> 16n;
const versionOf = async (id: string) => (await f.store.readStream(id)).length;
const outcomes = (appends: Promise<AppendResult>[]) => Promise.allSettled(appends);

/** A connection of its own with a transaction open, as another instance's would be. */
async function openTransaction(): Promise<Client> {
  const client = new Client(connectionConfig(f.db.url));
  await client.connect();
  await client.query('BEGIN');
  return client;
}

/** Waits until `n` statements of this database wait for a lock. */
async function waitingForLocks(n: number) {
  await eventually(async () => {
    const { rows } = await f.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    expect(rows[0].n).toBe(n);
  });
}

it('appends when every named stream is at its version, and leaves those streams as they were', async () => {
  const [c1, c2] = [await streamAt(1), await streamAt(3)];
  const order = randomUUID();
  const result = await f.store.append(
    request(order, 'no-stream', [
      { aggregateId: c1, version: 1 },
      { aggregateId: c2, version: 3 },
    ]),
  );
  expect(result.version).toBe(1);
  expect(await versionOf(order)).toBe(1);
  expect([await versionOf(c1), await versionOf(c2)]).toEqual([1, 3]);
  // The condition's streams can be appended to afterwards at the version they had.
  await f.store.append(request(c1, 1));
  expect(await versionOf(c1)).toBe(2);
});

it('refuses with a conflict naming the stream that moved on, and writes nothing', async () => {
  const [held, moved] = [await streamAt(1), await streamAt(2)];
  const order = randomUUID();
  const refused = f.store.append(
    request(order, 'no-stream', [
      { aggregateId: held, version: 1 },
      { aggregateId: moved, version: 1 },
    ]),
  );
  await expect(refused).rejects.toBeInstanceOf(ConcurrencyConflict);
  await expect(refused).rejects.toMatchObject({ aggregateId: moved, expectedVersion: 1, actualVersion: 2 });
  expect(await f.store.readStream(order)).toEqual([]);
  // A stream that does not exist is at no version a condition can name.
  await expect(
    f.store.append(request(randomUUID(), 'no-stream', [{ aggregateId: randomUUID(), version: 1 }])),
  ).rejects.toMatchObject({ expectedVersion: 1, actualVersion: 0 });
});

it('refuses conditions it cannot keep before writing anything', async () => {
  const other = await streamAt(1);
  await expect(
    f.store.append(request(randomUUID(), 'no-stream', [{ aggregateId: other, version: 0 }])),
  ).rejects.toThrow(RangeError);
  const own = randomUUID();
  await expect(f.store.append(request(own, 'no-stream', [{ aggregateId: own, version: 1 }]))).rejects.toThrow(
    RangeError,
  );
});

it('checks each member of a group commit on its own conditions, and holds a stream for no one who appends to it', async () => {
  const [c, moved] = [await streamAt(1), await streamAt(2)];
  const [kept, lost, plain] = [randomUUID(), randomUUID(), randomUUID()];
  // Sent in one turn of the event loop: the first goes alone, the others wait for it and go together, but for the
  // append to `c`, which cannot share a statement with members holding `c` and goes after them.
  const results = await outcomes([
    f.store.append(request(randomUUID(), 'no-stream')),
    f.store.append(request(kept, 'no-stream', [{ aggregateId: c, version: 1 }])),
    f.store.append(request(lost, 'no-stream', [{ aggregateId: moved, version: 1 }])),
    f.store.append(request(c, 1)),
    f.store.append(request(plain, 'no-stream')),
    f.store.append(request(randomUUID(), 'no-stream', [{ aggregateId: c, version: 1 }])),
  ]);
  expect(results.map((r) => r.status)).toEqual([
    'fulfilled',
    'fulfilled',
    'rejected',
    'fulfilled',
    'fulfilled',
    'fulfilled',
  ]);
  expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ aggregateId: moved, actualVersion: 2 });
  const value = (i: number) => (results[i] as PromiseFulfilledResult<AppendResult>).value;
  const grouped = [value(1), value(4), value(5)];
  expect(new Set(grouped.map((r) => transactionOf(r.position))).size).toBe(1);
  expect(transactionOf(value(3).position)).toBeGreaterThan(transactionOf(value(1).position));
  expect(await f.store.readStream(lost)).toEqual([]);
  expect(await versionOf(c)).toBe(2);
});

it("holds a named stream: an append to it waits for the holder's commit, and a holder that waited finds it moved", async () => {
  // Another instance holds `c` (its conditional append not yet committed): an append to `c` waits for it.
  const c = await streamAt(1);
  const holder = await openTransaction();
  const order = randomUUID();
  const held = groupStatement([request(order, 'no-stream', [{ aggregateId: c, version: 1 }])]);
  expect((await holder.query(held.text, held.values)).rows).toHaveLength(1);
  const move = f.store.append(request(c, 1));
  await waitingForLocks(1);
  await holder.query('COMMIT');
  await holder.end();
  const placed = (await f.store.readStream(order))[0]!;
  expect((await move).position).toBeGreaterThan(placed.position);

  // Another instance moves `d` (not yet committed): a conditional append on `d` waits, then finds it moved.
  const d = await streamAt(1);
  const mover = await openTransaction();
  const moving = appendStatement(request(d, 1), [randomUUID()]);
  expect((await mover.query(moving.text, moving.values)).rows).toHaveLength(1);
  // The expectation is attached at once: the refusal may come while the test still awaits the mover's end, and a
  // rejection nobody handles by then fails the test however it is handled later.
  const refused = expect(
    f.store.append(request(randomUUID(), 'no-stream', [{ aggregateId: d, version: 1 }])),
  ).rejects.toMatchObject({ aggregateId: d, expectedVersion: 1, actualVersion: 2 });
  await waitingForLocks(1);
  await mover.query('COMMIT');
  await mover.end();
  await refused;
});

it('refuses an append to a stream that a newer transaction held while it waited, which commits after it', async () => {
  // An older transaction (its id taken first) about to append to `c`; a newer one holds `c` and commits first.
  // Had the older one appended, its event would come before the held one's in the log, though that one relied on
  // `c` as it was before.
  const c = await streamAt(1);
  const older = await openTransaction();
  await older.query('SELECT pg_current_xact_id()');
  const newer = await openTransaction();
  const order = randomUUID();
  const held = groupStatement([request(order, 'no-stream', [{ aggregateId: c, version: 1 }])]);
  await newer.query(held.text, held.values);
  const moving = appendStatement(request(c, 1), [randomUUID()]);
  const move = older.query(moving.text, moving.values);
  await waitingForLocks(1);
  await newer.query('COMMIT');
  await newer.end();
  expect((await move).rows).toEqual([]);
  await older.query('ROLLBACK');
  await older.end();
});

it('appends again, after the newer transaction, a group member refused only because that transaction held its stream', async () => {
  // The group takes its transaction id at its first member and then waits (for `blocked`, which another instance
  // is creating); meanwhile a newer transaction holds `c` and commits. The group's append to `c` is refused, then
  // made again in a transaction of its own.
  const c = await streamAt(1);
  const blocked = randomUUID();
  const creator = await openTransaction();
  await creator.query(`INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES ($1, 'Order', 1)`, [blocked]);
  const [first, second] = [randomUUID(), randomUUID()];
  const appends = outcomes([
    f.store.append(request(randomUUID(), 'no-stream')),
    f.store.append(request(first, 'any')),
    f.store.append(request(blocked, 'no-stream')),
    f.store.append(request(c, 1)),
    f.store.append(request(second, 'no-stream')),
  ]);
  await waitingForLocks(1);
  const newer = await openTransaction();
  const order = randomUUID();
  const held = groupStatement([request(order, 'no-stream', [{ aggregateId: c, version: 1 }])]);
  await newer.query(held.text, held.values);
  await newer.query('COMMIT');
  await newer.end();
  await creator.query('ROLLBACK');
  await creator.end();
  const results = await appends;
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  const value = (i: number) => (results[i] as PromiseFulfilledResult<AppendResult>).value;
  const placed = (await f.store.readStream(order))[0]!;
  expect(transactionOf(value(1).position)).toBeLessThan(transactionOf(placed.position));
  expect(value(3).position).toBeGreaterThan(placed.position);
  expect(value(3).version).toBe(2);
});
