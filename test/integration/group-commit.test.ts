import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { connectionConfig } from '../../src/db/pool';
import { createPrisma } from '../../src/db/prisma';
import {
  createEventStore,
  DuplicateCommand,
  EVENTS_CHANNEL,
  Notifier,
  type AppendRequest,
  type AppendResult,
  type CommandRecord,
  type StoredEvent,
} from '../../src/eventstore';
import { ConcurrencyConflict } from '../../src/shared/errors';
import { openStore, readEverything, type StoreFixture } from '../support/event-store';
import { eventually } from '../support/eventually';

// Group commit (src/eventstore/group-commit.ts): appends that arrive while one is under way go together in one
// statement, one transaction, each with its own outcome.

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore();
});
afterAll(() => f.close());

const metadata = { correlationId: 'corr-g', causationId: 'cmd-g', userId: 'user-g' };

function request(
  aggregateId: string,
  expectedVersion: AppendRequest['expectedVersion'],
  n = 1,
  command?: CommandRecord,
): AppendRequest {
  return {
    aggregateId,
    aggregateType: 'Order',
    expectedVersion,
    events: Array.from({ length: n }, (_, i) => ({ eventType: 'ItemAdded', payload: { n: i } })),
    metadata,
    command,
  };
}

const command = (commandId: string): CommandRecord => ({
  scope: 'user:g',
  commandId,
  commandType: 'AddItem',
  requestHash: 'h',
});

const transactionOf = (position: bigint) => position >> 16n;
const indexOf = (position: bigint) => Number(position & 0xffffn);

/** Each promise's outcome, without rejecting when one does. */
const outcomes = (appends: Promise<AppendResult>[]) => Promise.allSettled(appends);

it('appends those waiting behind one in flight in one transaction, each with its own outcome', async () => {
  const existing = randomUUID();
  const taken = randomUUID();
  await f.store.append(request(existing, 'no-stream'));
  await f.store.append(request(randomUUID(), 'no-stream', 1, command(taken)));

  const [placed, grown, conflicting, duplicate, twoEvents, any] = [0, 1, 2, 3, 4, 5].map(() => randomUUID()) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const grownBase = await f.store.append(request(grown, 'no-stream', 2));
  // All sent in one turn of the event loop: the first finds nothing under way and goes alone; the others wait
  // for it and go together.
  const results = await outcomes([
    f.store.append(request(randomUUID(), 'no-stream')),
    f.store.append(request(placed, 'no-stream', 1, command(randomUUID()))),
    f.store.append(request(grown, grownBase.version)),
    f.store.append(request(existing, 0)),
    f.store.append(request(conflicting, 3)),
    f.store.append(request(duplicate, 'no-stream', 1, command(taken))),
    f.store.append(request(twoEvents, 'no-stream', 2)),
    f.store.append(request(any, 'any', 3)),
  ]);
  const value = (i: number) => {
    const r = results[i]!;
    if (r.status !== 'fulfilled') throw r.reason;
    return r.value;
  };
  const alone = value(0);
  const grouped = [value(1), value(2), value(6), value(7)];

  // The refused members: each its own error, and nothing written for it.
  expect(results[3]).toMatchObject({ status: 'rejected', reason: expect.any(ConcurrencyConflict) });
  expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ expectedVersion: 0, actualVersion: 1 });
  expect(results[4]).toMatchObject({ status: 'rejected', reason: expect.any(ConcurrencyConflict) });
  expect(results[5]).toMatchObject({ status: 'rejected', reason: expect.any(DuplicateCommand) });
  expect(await f.store.readStream(duplicate)).toEqual([]);
  expect(await f.store.readStream(conflicting)).toEqual([]);
  expect((await f.store.readStream(existing)).map((e) => e.version)).toEqual([1]);

  // The others committed in one transaction, after the one that went alone, with disjoint indexes increasing in
  // the order they were sent, and each its own stream's versions.
  const positions = grouped.flatMap((r) => r.events.map((e) => e.position));
  expect(new Set(positions.map(transactionOf)).size).toBe(1);
  expect(transactionOf(positions[0]!)).not.toBe(transactionOf(alone.position));
  // Each member's indexes were set aside in order, the refused members' (3, 4, 5) too: gaps mean nothing.
  expect(positions.map(indexOf)).toEqual([1, 2, 6, 7, 8, 9, 10]);
  expect(grouped.map((r) => r.events.map((e) => e.version))).toEqual([[1], [3], [1, 2], [1, 2, 3]]);
  expect(grouped.map((r) => [r.version, r.position])).toEqual(
    grouped.map((r) => [r.events.at(-1)!.version, r.events.at(-1)!.position]),
  );
  expect(await f.store.readStream(any)).toEqual(value(7).events);
});

it('does not fail the others for one member whose data PostgreSQL refuses', async () => {
  const [good1, bad, good2] = [randomUUID(), randomUUID(), randomUUID()];
  // jsonb cannot hold \u0000: PostgreSQL refuses that member's payload, and with it the whole statement.
  const refused = { ...request(bad, 'no-stream'), events: [{ eventType: 'ItemAdded', payload: { text: 'a\u0000b' } }] };
  const results = await outcomes([
    f.store.append(request(randomUUID(), 'no-stream')),
    f.store.append(request(good1, 'no-stream')),
    f.store.append(refused),
    f.store.append(request(good2, 'no-stream')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect((await f.store.readStream(good1)).map((e) => e.version)).toEqual([1]);
  expect((await f.store.readStream(good2)).map((e) => e.version)).toEqual([1]);
  expect(await f.store.readStream(bad)).toEqual([]);
});

it('records a grouped command with its own positions and version', async () => {
  const first = randomUUID();
  const commandId = randomUUID();
  const results = await Promise.all([
    f.store.append(request(randomUUID(), 'no-stream')),
    f.store.append(request(randomUUID(), 'no-stream', 2)),
    f.store.append(request(first, 'no-stream', 3, command(commandId))),
  ]);
  const grouped = results[2];
  expect(transactionOf(grouped.position)).toBe(transactionOf(results[1].position));
  expect(await f.store.findProcessedCommand('user:g', commandId)).toEqual({
    ...command(commandId),
    aggregateId: first,
    version: 3,
    firstPosition: grouped.events[0]!.position,
    lastPosition: grouped.position,
  });
});

it('keeps the log gap-free for a concurrent reader while groups commit', async () => {
  const start = (await readEverything(f.store)).at(-1)?.position ?? 0n;
  const seen: StoredEvent[] = [];
  let writing = true;
  const reader = (async () => {
    let after = start;
    while (writing || seen.length < 32 * 10) {
      const page = await f.store.readLog(after, 100);
      for (const event of page.events) {
        if (event.position <= after) throw new Error(`event ${event.position} behind ${after}`);
        seen.push(event);
        after = event.position;
      }
      if (page.events.length === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const results = await Promise.all(
    Array.from({ length: 32 }, async () => {
      const id = randomUUID();
      const mine: AppendResult[] = [];
      for (let version = 0; version < 10; version++) mine.push(await f.store.append(request(id, version)));
      return mine;
    }),
  );
  writing = false;
  await reader;
  const appended = results.flat().flatMap((r) => r.events);
  expect(seen.map((e) => e.eventId).sort()).toEqual(appended.map((e) => e.eventId).sort());
  expect(seen).toEqual(await readEverything(f.store, start));
  // Groups did form: some transactions hold more than one stream's appends.
  const streamsPerTransaction = new Map<bigint, Set<string>>();
  for (const e of appended) {
    const streams = streamsPerTransaction.get(transactionOf(e.position)) ?? new Set();
    streams.add(e.aggregateId);
    streamsPerTransaction.set(transactionOf(e.position), streams);
  }
  expect(Math.max(...[...streamsPerTransaction.values()].map((s) => s.size))).toBeGreaterThan(1);
});

it("appends the group one by one when another instance's twin commits its commandId during the statement", async () => {
  // Another instance's append with the same commandId, not yet committed: the group's insert of that command
  // waits for it, then fails when it commits, undoing the whole statement.
  const twinId = randomUUID();
  const other = new Client(connectionConfig(f.db.url));
  await other.connect();
  await other.query('BEGIN');
  await other.query(
    `INSERT INTO processed_commands
       (scope, command_id, command_type, request_hash, aggregate_id, version, first_position, last_position)
     VALUES ('user:g', $1, 'AddItem', 'h', 'elsewhere', 1, 1, 1)`,
    [twinId],
  );
  const [solo, plain, twin] = [randomUUID(), randomUUID(), randomUUID()];
  const appends = outcomes([
    f.store.append(request(solo, 'no-stream')),
    f.store.append(request(plain, 'no-stream', 2)),
    f.store.append(request(twin, 'no-stream', 1, command(twinId))),
  ]);
  await eventually(async () => {
    const { rows } = await other.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    expect(rows[0].n).toBe(1);
  });
  await other.query('COMMIT');
  await other.end();
  const [, plainResult, twinResult] = await appends;
  expect(twinResult).toMatchObject({ status: 'rejected', reason: expect.any(DuplicateCommand) });
  expect(plainResult).toMatchObject({ status: 'fulfilled' });
  expect((await f.store.readStream(plain)).map((e) => e.version)).toEqual([1, 2]);
  expect(await f.store.readStream(twin)).toEqual([]);
});

it("commits every append when two instances' groups take the same streams", async () => {
  // Two instances (two stores, two pools) appending to the same streams at once: their groups may lock the
  // streams' rows in opposite orders, and a deadlock between them is appended one by one. Whatever happened, every
  // append commits and every stream ends with consecutive versions.
  const pool = new Pool({ ...connectionConfig(f.db.url), max: 8 });
  pool.on('error', () => undefined);
  const prisma = createPrisma(pool);
  const notifier = new Notifier(pool, connectionConfig(f.db.url), { warn: () => undefined });
  const second = createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL));
  try {
    const ids = Array.from({ length: 8 }, () => randomUUID());
    const both = await outcomes(
      [f.store, second].flatMap((store) => ids.map((id) => store.append(request(id, 'any', 2)))),
    );
    expect(both.every((r) => r.status === 'fulfilled')).toBe(true);
    for (const id of ids) {
      expect((await f.store.readStream(id)).map((e) => e.version)).toEqual([1, 2, 3, 4]);
    }
  } finally {
    await notifier.close();
    await prisma.$disconnect();
    await pool.end();
  }
});
