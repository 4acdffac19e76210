import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { fold, type Aggregate } from '../../src/commands/aggregate';
import { handleCommand, type CommandOptions } from '../../src/commands/handle-command';
import { ConfigError, loadConfig } from '../../src/config';
import { customerCommands } from '../../src/customers/commands';
import type { EventStore } from '../../src/eventstore';
import { orderAggregate, orderCommands } from '../../src/orders/commands';
import { eventDecoder, type EventsOf } from '../../src/commands/event-decoder';
import { openStore, type StoreFixture } from '../support/event-store';
import { DEFAULT_INPUT_LIMITS } from '../../src/shared/input-limits';
import { commandIds } from '../../src/commands/command-ids';

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore();
});
afterAll(() => f.close());

// A test-only aggregate: a counter whose state carries Dates, so a snapshot must bring them back as Dates.
const COUNTER_PAYLOADS = { Incremented: z.object({ by: z.number() }) };
type Incremented = EventsOf<typeof COUNTER_PAYLOADS>;
const decodeCounterEvent = eventDecoder('Counter', COUNTER_PAYLOADS, {});
type CounterState = { count: number; startedAt: Date | null; lastAt: Date | null };

const counter: Aggregate<CounterState, Incremented> = {
  type: 'Counter',
  snapshotVersion: 1,
  initial: { count: 0, startedAt: null, lastAt: null },
  ownerOf: () => null,
  decode: decodeCounterEvent,
  evolve: (state, event) => ({
    count: state.count + event.data.by,
    startedAt: state.startedAt ?? event.timestamp,
    lastAt: event.timestamp,
  }),
};

const metadata = { correlationId: 'snapshots', causationId: 'snapshots', userId: null };
const warnings: { obj: object; msg: string }[] = [];
const logger = { warn: (obj: object, msg: string) => void warnings.push({ obj, msg }) };
const options = (snapshotEvery: number): CommandOptions => ({
  retries: 3,
  snapshotEvery,
  defaultCurrency: 'EUR',
  limits: DEFAULT_INPUT_LIMITS,
  logger,
});

/** Runs one Increment command (of `events` events, each adding `by`) through the real handler. */
function increment<S>(
  store: EventStore,
  aggregate: Aggregate<S, Incremented>,
  aggregateId: string,
  opts: CommandOptions,
  how: { events?: number; by?: number; creates?: boolean; commandId?: string } = {},
) {
  const { events = 1, by = 1, creates = false, commandId } = how;
  return handleCommand(
    store,
    {
      aggregate,
      aggregateId,
      commandType: 'Increment',
      input: { events, by },
      creates,
      decide: () => Array.from({ length: events }, () => ({ type: 'Incremented' as const, data: { by } })),
      meta: { ids: commandIds({ commandId }, {}, DEFAULT_INPUT_LIMITS.idLength) },
    },
    opts,
  );
}

/** Appends `count` events straight to the store, 1,000 per append, each adding a varying amount. */
async function appendDirectly(aggregateId: string, from: number, count: number): Promise<void> {
  for (let done = 0; done < count;) {
    const n = Math.min(1000, count - done);
    const version = from + done;
    await f.store.append({
      aggregateId,
      aggregateType: 'Counter',
      expectedVersion: version === 0 ? 'no-stream' : version,
      events: Array.from({ length: n }, (_, i) => ({
        eventType: 'Incremented',
        payload: { by: ((version + i) % 7) + 1 },
      })),
      metadata,
    });
    done += n;
  }
}

/**
 * The store, with every aggregate load recorded: the snapshot it started from (null: none fitted), the first
 * version it read, the version it stopped at, and how many events it returned.
 */
function recording(store: EventStore) {
  type Load = { snapshotAt: number | null; first: number | null; toVersion: number | undefined; returned: number };
  const reads: Load[] = [];
  const wrapped: EventStore = {
    ...store,
    async loadStream(...args: Parameters<EventStore['loadStream']>) {
      const loaded = await store.loadStream(...args);
      reads.push({
        snapshotAt: loaded.snapshot?.version ?? null,
        first: loaded.events[0]?.version ?? null,
        toVersion: args[2]?.toVersion,
        returned: loaded.events.length,
      });
      return loaded;
    },
  };
  return { store: wrapped, reads };
}

async function fullFold<S>(aggregate: Aggregate<S, Incremented>, aggregateId: string) {
  return fold(aggregate, await f.store.readStream(aggregateId));
}

beforeEach(() => {
  warnings.length = 0;
});

describe('loading from a snapshot', () => {
  it('loads a stream of 10,000 events from its snapshot, reading only the events after it', async () => {
    const id = randomUUID();
    await appendDirectly(id, 0, 9_999);

    // No snapshot yet: the whole stream is read, and this command's event crosses version 10,000.
    const first = recording(f.store);
    const crossing = await increment(first.store, counter, id, options(100));
    expect(first.reads).toEqual([{ snapshotAt: null, first: 1, toVersion: undefined, returned: 9_999 }]);
    expect(crossing.version).toBe(10_000);
    const snapshot = await f.store.loadSnapshot(id);
    expect(snapshot).toMatchObject({ aggregateType: 'Counter', version: 10_000, snapshotVersion: 1 });

    // Another writer appends past the snapshot without taking one.
    await appendDirectly(id, 10_000, 5);

    const second = recording(f.store);
    const started = performance.now();
    const result = await increment(second.store, counter, id, options(100), { by: 3 });
    const elapsed = performance.now() - started;
    expect(second.reads).toEqual([{ snapshotAt: 10_000, first: 10_001, toVersion: undefined, returned: 5 }]);
    expect(result.version).toBe(10_006);

    const expected = await fullFold(counter, id);
    expect(expected.version).toBe(10_006);
    expect(result.state).toEqual(expected.state);
    expect(result.state.startedAt).toBeInstanceOf(Date);
    // Far below what reading and folding 10,000 rows costs; generous, so a busy machine does not fail it.
    expect(elapsed).toBeLessThan(1_000);
  });

  it('ignores a snapshot taken for an older snapshot version and folds the whole stream', async () => {
    const id = randomUUID();
    await increment(f.store, counter, id, options(3), { creates: true, by: 2 });
    await increment(f.store, counter, id, options(3), { by: 2 });
    await increment(f.store, counter, id, options(3), { by: 2 });
    expect(await f.store.loadSnapshot(id)).toMatchObject({
      version: 3,
      snapshotVersion: 1,
      state: { count: 6 },
    });

    // The decider's state changed shape: version 2 snapshots hold { total }, and must never see a { count }.
    const counterV2: Aggregate<{ total: number }, Incremented> = {
      type: 'Counter',
      snapshotVersion: 2,
      initial: { total: 0 },
      ownerOf: () => null,
      decode: decodeCounterEvent,
      evolve: (state, event) => ({ total: state.total + event.data.by }),
    };
    const reads = recording(f.store);
    const result = await increment(reads.store, counterV2, id, options(3), { by: 5 });
    expect(reads.reads).toEqual([{ snapshotAt: null, first: 1, toVersion: undefined, returned: 3 }]);
    expect(result.state).toEqual({ total: 11 });
    expect(result.state).toEqual((await fullFold(counterV2, id)).state);
    // The full fold was N events past any usable snapshot: a snapshot of the new shape replaces the old one.
    expect(await f.store.loadSnapshot(id)).toMatchObject({
      version: 4,
      snapshotVersion: 2,
      state: { total: 11 },
    });
  });

  it('ignores a snapshot of another aggregate type', async () => {
    const id = randomUUID();
    await increment(f.store, counter, id, options(0), { creates: true, events: 4, by: 1 });
    await f.store.saveSnapshot({
      aggregateId: id,
      aggregateType: 'SomethingElse',
      version: 4,
      snapshotVersion: 1,
      state: { count: 1000, startedAt: null, lastAt: null },
    });
    const reads = recording(f.store);
    const result = await increment(reads.store, counter, id, options(0));
    expect(reads.reads).toEqual([{ snapshotAt: null, first: 1, toVersion: undefined, returned: 4 }]);
    expect(result.state).toMatchObject({ count: 5 });
  });

  it('returns a replayed command result exactly, whether or not a snapshot covers its events', async () => {
    const id = randomUUID();
    await increment(f.store, counter, id, options(2), { creates: true });
    const secondId = randomUUID();
    const second = await increment(f.store, counter, id, options(2), { commandId: secondId, by: 4 });
    const thirdId = randomUUID();
    const third = await increment(f.store, counter, id, options(2), { commandId: thirdId, events: 2, by: 3 });
    expect(third.version).toBe(4);
    expect(await f.store.loadSnapshot(id)).toMatchObject({ version: 4 });

    // The snapshot is at the command's own version: it is used, and the command's events are still read.
    const reads = recording(f.store);
    const replayed = await increment(reads.store, counter, id, options(2), { commandId: thirdId, events: 2, by: 3 });
    expect(reads.reads).toEqual([{ snapshotAt: 4, first: 3, toVersion: 4, returned: 2 }]);
    expect(replayed).toEqual(third);

    // Later commands move the snapshot past an older command: its replay folds from the start, up to its version.
    await increment(f.store, counter, id, options(2), { events: 2 });
    expect(await f.store.loadSnapshot(id)).toMatchObject({ version: 6 });
    expect(await increment(f.store, counter, id, options(2), { commandId: secondId, by: 4 })).toEqual(second);
  });
});

describe('taking snapshots', () => {
  it('takes a snapshot each time a command crosses a multiple of SNAPSHOT_EVERY', async () => {
    const id = randomUUID();
    const snapshotVersions: (number | undefined)[] = [];
    const run = async (events: number, creates = false) => {
      await increment(f.store, counter, id, options(3), { events, creates });
      snapshotVersions.push((await f.store.loadSnapshot(id))?.version);
    };
    await run(1, true); // 1
    await run(1); // 2
    await run(1); // 3: crosses 3
    await run(1); // 4
    await run(1); // 5
    await run(1); // 6: crosses 6
    await run(2); // 8
    await run(2); // 10: crosses 9
    await run(1); // 11
    expect(snapshotVersions).toEqual([undefined, undefined, 3, 3, 3, 6, 6, 10, 10]);
    const snapshot = await f.store.loadSnapshot(id);
    const expected = await fullFold(counter, id);
    // What was saved at version 10 is what folding the first 10 events gives.
    const at10 = fold(counter, await f.store.readStream(id, { toVersion: 10 }));
    expect(snapshot!.state).toEqual(at10.state);
    expect(expected.version).toBe(11);
  });

  it('takes none when SNAPSHOT_EVERY is 0', async () => {
    const id = randomUUID();
    await increment(f.store, counter, id, options(0), { creates: true, events: 150 });
    for (let i = 0; i < 3; i++) await increment(f.store, counter, id, options(0));
    expect(await f.store.loadSnapshot(id)).toBeUndefined();
  });

  it('reads SNAPSHOT_EVERY from the environment: 100 by default, 0 to disable, never negative', () => {
    expect(loadConfig({}).snapshotEvery).toBe(100);
    expect(loadConfig({ SNAPSHOT_EVERY: '25' }).snapshotEvery).toBe(25);
    expect(loadConfig({ SNAPSHOT_EVERY: '0' }).snapshotEvery).toBe(0);
    expect(() => loadConfig({ SNAPSHOT_EVERY: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ SNAPSHOT_EVERY: 'often' })).toThrow(/SNAPSHOT_EVERY/);
  });

  it('does not fail the command when the snapshot cannot be saved, and logs a warning', async () => {
    const id = randomUUID();
    const failing: EventStore = {
      ...f.store,
      saveSnapshot: () => Promise.reject(new Error('snapshots table unavailable')),
    };
    const result = await increment(failing, counter, id, options(1), { creates: true, events: 2 });
    expect(result.version).toBe(2);
    expect((await f.store.readStream(id)).map((e) => e.version)).toEqual([1, 2]);
    expect(await f.store.loadSnapshot(id)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/snapshot/);
    expect(warnings[0]!.obj).toMatchObject({
      aggregateId: id,
      version: 2,
      err: expect.objectContaining({ message: 'snapshots table unavailable' }),
    });

    // A real database error behaves the same: here a trigger rejects this aggregate's snapshots.
    await f.pool.query(`CREATE FUNCTION reject_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'no snapshots for %', NEW.aggregate_id; END $$`);
    await f.pool.query(`CREATE TRIGGER reject_snapshot BEFORE INSERT OR UPDATE ON snapshots FOR EACH ROW
      WHEN (NEW.aggregate_id = '${id}') EXECUTE FUNCTION reject_snapshot()`);
    try {
      const next = await increment(f.store, counter, id, options(1));
      expect(next.version).toBe(3);
      expect(next.state).toMatchObject({ count: 3 });
      expect(warnings).toHaveLength(2);
      expect(await f.store.loadSnapshot(id)).toBeUndefined();
    } finally {
      await f.pool.query('DROP TRIGGER reject_snapshot ON snapshots; DROP FUNCTION reject_snapshot()');
    }
  });
});

describe('the snapshots table', () => {
  it('only ever moves a snapshot forward', async () => {
    const id = randomUUID();
    const save = (version: number) =>
      f.store.saveSnapshot({
        aggregateId: id,
        aggregateType: 'Counter',
        version,
        snapshotVersion: 1,
        state: { v: version },
      });
    expect(await save(10)).toBe(true);
    expect(await save(5)).toBe(false);
    expect(await save(10)).toBe(false);
    expect(await f.store.loadSnapshot(id)).toMatchObject({ version: 10, state: { v: 10 } });
    expect(await save(11)).toBe(true);
    expect(await f.store.loadSnapshot(id)).toMatchObject({ version: 11, state: { v: 11 } });
  });

  it('keeps Dates and bigints through a save and a load', async () => {
    const id = randomUUID();
    const state = {
      at: new Date('2026-11-27T10:00:00.123Z'),
      position: 2n ** 60n,
      nested: [{ when: new Date(0) }],
      text: 'x',
    };
    await f.store.saveSnapshot({ aggregateId: id, aggregateType: 'Counter', version: 1, snapshotVersion: 1, state });
    expect((await f.store.loadSnapshot(id))!.state).toEqual(state);
  });
});

describe('order and customer results with snapshots', () => {
  it('returns the same orders and customers as a full fold when every load starts from a snapshot', async () => {
    const opts = options(1);
    const customers = customerCommands(f.store, opts);
    const reads = recording(f.store);
    const orders = orderCommands(reads.store, opts);

    const customer = await customers.register({ name: 'Ada', email: 'ada@example.com' }, {});
    const placed = await orders.place(
      { customerId: customer.aggregateId, items: [{ productId: 'p1', quantity: 2, unitPrice: '9.99' }] },
      {},
    );
    const orderId = placed.aggregateId;
    const target = { orderId };
    const results = [placed];
    results.push(await orders.addItem(target, { productId: 'p2', quantity: 1, unitPrice: '0.05' }, {}));
    const payCommandId = randomUUID();
    results.push(
      await orders.pay(target, { ids: commandIds({ commandId: payCommandId }, {}, DEFAULT_INPUT_LIMITS.idLength) }),
    );
    results.push(await orders.cancel(target, 'changed my mind', {}));

    for (const result of results) {
      const stream = await f.store.readStream(orderId, { toVersion: result.version });
      expect(result.state).toEqual(fold(orderAggregate, stream).state);
    }
    const last = results.at(-1)!.state!;
    expect(last).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'changed my mind',
      itemCount: 3,
      totalAmount: '20.03',
    });
    expect(last.paidAt).toBeInstanceOf(Date);
    // Placing loads no order (a fresh id) but the customer, from its snapshot; every later command started from the
    // snapshot of the version before it and read only the events past it (none here).
    expect(reads.reads.map((r) => r.snapshotAt)).toEqual([1, 1, 2, 3]);
    expect(reads.reads.map((r) => r.returned)).toEqual([0, 0, 0, 0]);

    // A replay of the pay command, whose version the snapshot has since passed, gives the first result.
    expect(
      await orders.pay(target, { ids: commandIds({ commandId: payCommandId }, {}, DEFAULT_INPUT_LIMITS.idLength) }),
    ).toEqual(results[2]);

    const deactivated = await customers.deactivate({ customerId: customer.aggregateId, reason: 'moved' }, 1, {});
    expect(deactivated.state!).toMatchObject({ active: false, deactivationReason: 'moved', version: 2 });
    expect(deactivated.state!.deactivatedAt).toBeInstanceOf(Date);
    expect(deactivated.state!.registeredAt).toEqual(customer.state!.registeredAt);
  });
});
