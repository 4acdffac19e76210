import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { connectionConfig } from '../../src/db/pool';
import { append } from '../../src/eventstore/append';
import { Notifier } from '../../src/eventstore/wakeups';
import type { AppendRequest, AppendResult, StoredEvent } from '../../src/eventstore';
import { ConcurrencyConflict } from '../../src/shared/errors';
import { openStore, readEverything, type StoreFixture } from '../support/event-store';
import { eventually } from '../support/eventually';

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore();
});
afterAll(() => f.close());

const metadata = { correlationId: 'corr-1', causationId: 'cmd-1', userId: 'user-1' };

function request(aggregateId: string, expectedVersion: AppendRequest['expectedVersion'], n = 1): AppendRequest {
  return {
    aggregateId,
    aggregateType: 'Order',
    expectedVersion,
    events: Array.from({ length: n }, (_, i) => ({ eventType: 'ItemAdded', payload: { n: i } })),
    metadata,
  };
}

describe('append', () => {
  it('stores every event with its full envelope and consecutive versions', async () => {
    const id = randomUUID();
    const first = await f.store.append(request(id, 'no-stream', 2));
    const second = await f.store.append(request(id, 2));
    expect(first.version).toBe(2);
    expect(second.version).toBe(3);
    const stream = await f.store.readStream(id);
    expect(stream.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(stream[0]).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      eventType: 'ItemAdded',
      aggregateId: id,
      aggregateType: 'Order',
      version: 1,
      position: expect.any(BigInt),
      timestamp: expect.any(Date),
      schemaVersion: 1,
      payload: { n: 0 },
      metadata,
      ownerId: null,
    });
    expect(stream[0]!.position).toBeLessThan(stream[1]!.position);
    expect(second.position).toBe(stream[2]!.position);
  });

  it('lets exactly one of two concurrent appends with the same expected version win', async () => {
    for (let round = 0; round < 20; round++) {
      const id = randomUUID();
      await f.store.append(request(id, 'no-stream'));
      const results = await Promise.allSettled([f.store.append(request(id, 1)), f.store.append(request(id, 1))]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ConcurrencyConflict);
      expect((lost[0]!.reason as ConcurrencyConflict).actualVersion).toBe(2);
      expect((await f.store.readStream(id)).map((e) => e.version)).toEqual([1, 2]);
    }
  });

  it('lets exactly one of two concurrent creations of the same stream win', async () => {
    const id = randomUUID();
    const results = await Promise.allSettled([
      f.store.append(request(id, 'no-stream')),
      f.store.append(request(id, 'no-stream')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await f.store.readStream(id)).toHaveLength(1);
  });

  it('rejects a stale expected version and writes nothing', async () => {
    const id = randomUUID();
    await f.store.append(request(id, 'no-stream', 3));
    await expect(f.store.append(request(id, 1))).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      actualVersion: 3,
    });
    expect(await f.store.readStream(id)).toHaveLength(3);
  });

  it('appends with expected version "any" without losing or repeating a version under concurrency', async () => {
    const id = randomUUID();
    await Promise.all(Array.from({ length: 20 }, () => f.store.append(request(id, 'any', 2))));
    const versions = (await f.store.readStream(id)).map((e) => e.version);
    expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

describe('readLog', () => {
  it('filters by event type, aggregate, correlation id and timestamp, in position order', async () => {
    const id = randomUUID();
    const correlationId = randomUUID();
    const before = new Date(Date.now() - 1000);
    await f.store.append({
      aggregateId: id,
      aggregateType: 'Customer',
      expectedVersion: 'no-stream',
      events: [
        { eventType: 'CustomerRegistered', payload: { name: 'a' } },
        { eventType: 'CustomerDeactivated', payload: {} },
      ],
      metadata: { ...metadata, correlationId },
    });
    const byType = await f.store.readLog(0n, 100, { eventTypes: ['CustomerDeactivated'], aggregateId: id });
    expect(byType.events.map((e) => e.eventType)).toEqual(['CustomerDeactivated']);
    const byCorrelation = await f.store.readLog(0n, 100, { correlationIds: [correlationId] });
    expect(byCorrelation.events.map((e) => e.version)).toEqual([1, 2]);
    const byAggregateType = await f.store.readLog(0n, 100, { aggregateType: 'Customer', aggregateId: id });
    expect(byAggregateType.events).toHaveLength(2);
    expect((await f.store.readLog(0n, 100, { aggregateId: id, fromTimestamp: before })).events).toHaveLength(2);
    const future = new Date(Date.now() + 60_000);
    expect((await f.store.readLog(0n, 100, { aggregateId: id, fromTimestamp: future })).events).toHaveLength(0);
  });

  it('never returns an event behind one it already returned, with 32 writers and a transaction committed last', async () => {
    // A writer that takes its transaction id first and commits last: its event's position is below every other
    // writer's, and becomes visible only after all of theirs.
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let appended!: (result: AppendResult) => void;
    const heldAppend = new Promise<AppendResult>((resolve) => (appended = resolve));
    const holder = f.prisma.$transaction(
      async (tx) => {
        appended(await append(tx, request(randomUUID(), 'no-stream')));
        await committing;
      },
      { timeout: 120_000 },
    );
    const held = await heldAppend;
    // Every event of this test comes after the held one: earlier tests' transactions all took smaller ids.
    const start = held.position - 1n;

    const seen: StoredEvent[] = [];
    let polling = true;
    let polls = 0;
    const poller = (async () => {
      let after = start;
      while (polling) {
        const page = await f.store.readLog(after, 200);
        polls++;
        seen.push(...page.events);
        if (page.events.length > 0) after = page.events.at(-1)!.position;
        else await new Promise((r) => setTimeout(r, 2));
      }
      // Drain what is left after the writers are done.
      for (;;) {
        const page = await f.store.readLog(after, 200);
        if (page.events.length === 0) return;
        seen.push(...page.events);
        after = page.events.at(-1)!.position;
      }
    })();

    const writers = Array.from({ length: 32 }, async () => {
      const id = randomUUID();
      for (let v = 0; v < 15; v++) await f.store.append(request(id, v === 0 ? 'no-stream' : v));
    });
    await Promise.all(writers);
    // Let the poller read the log at least twice while every writer has committed and the held one has not.
    const pollsNow = polls;
    await eventually(async () => expect(polls).toBeGreaterThanOrEqual(pollsNow + 2));
    commit();
    await holder;
    polling = false;
    await poller;

    const expected = 32 * 15 + 1;
    const positions = seen.map((e) => e.position);
    expect(new Set(positions).size).toBe(positions.length); // nothing twice
    expect(positions).toHaveLength(expected); // nothing lost, the late committer included
    expect(positions).toContain(held.position);
    for (let i = 1; i < positions.length; i++) expect(positions[i]! > positions[i - 1]!).toBe(true);

    const fromStart = (await readEverything(f.store, start)).map((e) => e.position);
    expect(fromStart).toEqual(positions);
  });

  it('orders positions as numbers where their digit count changes', async () => {
    // Transaction ids 152 and 153 finished long ago in any cluster; their positions have 7 and 8 digits, so a
    // reader that compared positions as text would put the second first.
    await f.pool.query(
      `INSERT INTO events (position, transaction_id, event_id, aggregate_id, aggregate_type, version, event_type,
         payload, metadata)
       SELECT (t::bigint << 16) + 1, t::text::xid8, gen_random_uuid(), 'digits-' || t, 'Order', 1, 'Probe', '{}', '{}'
       FROM unnest(ARRAY[153, 152]) AS t`,
    );
    const page = await f.store.readLog(0n, 2);
    expect(page.events.map((e) => e.aggregateId)).toEqual(['digits-152', 'digits-153']);
    expect(page.events.map((e) => e.position)).toEqual([(152n << 16n) + 1n, (153n << 16n) + 1n]);
  });

  it('reports a scanned-to horizon so a filtered reader can skip what does not match', async () => {
    const head = await f.store.logHead();
    const page = await f.store.readLog(0n, 10, { eventTypes: ['NoSuchEvent'] });
    expect(page.events).toHaveLength(0);
    expect(page.scannedTo).toBeGreaterThanOrEqual(head);
  });
});

describe('wake-ups', () => {
  it('wakes other processes with far fewer NOTIFYs than appends under concurrency', async () => {
    const listener = new Client(connectionConfig(f.db.url));
    await listener.connect();
    let notifications = 0;
    listener.on('notification', () => notifications++);
    await listener.query('LISTEN orderstream_events');
    const appends = 200;
    await Promise.all(Array.from({ length: appends }, () => f.store.append(request(randomUUID(), 'no-stream'))));
    await eventually(async () => expect(notifications).toBeGreaterThanOrEqual(1));
    // A NOTIFY of the listener's own, committed after every append's, arrives after theirs: counted up to it.
    let sentinel = false;
    listener.on('notification', (message) => void (message.payload === 'sentinel' && (sentinel = true)));
    await listener.query(`NOTIFY orderstream_events, 'sentinel'`);
    await eventually(async () => expect(sentinel).toBe(true));
    notifications--;
    await listener.end();
    expect(notifications).toBeGreaterThanOrEqual(1);
    expect(notifications).toBeLessThan(appends / 2);
  });

  it('sends an append’s NOTIFY with the append itself while none is under way: one wake-up here, one elsewhere', async () => {
    const elsewhere = new Client(connectionConfig(f.db.url));
    await elsewhere.connect();
    const heard: string[] = [];
    elsewhere.on('notification', (message) => heard.push(message.channel));
    await elsewhere.query('LISTEN orderstream_events');
    const wakes: string[] = [];
    const stop = f.store.onAppended((wake) => wakes.push(wake));
    try {
      for (let i = 0; i < 3; i++) await f.store.append(request(randomUUID(), 'no-stream'));
      await eventually(async () => expect(heard).toHaveLength(3));
      // No NOTIFY of its own after each append, so no `settled` wake-up for one: only the news of each commit.
      expect(wakes).toEqual(['news', 'news', 'news']);
    } finally {
      stop();
      await elsewhere.end();
    }
  });

  it('does not hold other pokes’ NOTIFY behind a statement that carries one and takes long', async () => {
    const quiet = { warn: () => undefined };
    const here = new Notifier(f.pool, connectionConfig(f.db.url), quiet);
    const elsewhere = new Client(connectionConfig(f.db.url));
    await elsewhere.connect();
    let heard = 0;
    elsewhere.on('notification', () => heard++);
    await elsewhere.query('LISTEN orderstream_test_claim');
    try {
      const wakeUps = here.channel('orderstream_test_claim');
      // A statement (an append waiting on a row lock, say) has claimed the NOTIFY and not finished.
      const claim = wakeUps.send('shared');
      expect(claim.notify).toBeDefined();
      expect(wakeUps.send('shared').notify).toBeUndefined();
      wakeUps.poke();
      await eventually(async () => expect(heard).toBe(1));
      claim.sent(true);
    } finally {
      await here.close();
      await elsewhere.end();
    }
  });

  it('wakes its own process at once and when the NOTIFY has committed, but not again when it comes back', async () => {
    const quiet = { warn: () => undefined };
    const here = new Notifier(f.pool, connectionConfig(f.db.url), quiet);
    const elsewhere = new Notifier(f.pool, connectionConfig(f.db.url), quiet);
    try {
      const mine = here.channel('orderstream_test_echo');
      const theirs = elsewhere.channel('orderstream_test_echo');
      // Both LISTEN connections are listening once listen() resolves (its own wake-up is before onWake).
      await here.listen();
      await elsewhere.listen();
      let wakesHere = 0;
      let wakesElsewhere = 0;
      mine.onWake(() => wakesHere++);
      theirs.onWake(() => wakesElsewhere++);
      mine.poke();
      await eventually(async () => {
        expect(wakesHere).toBe(2);
        expect(wakesElsewhere).toBe(1);
      });
      // A NOTIFY from a third session, committed after this process's own: each LISTEN connection receives it
      // after that one's echo, so once both processes have counted it, the echo has come back and woken nobody.
      await f.pool.query(`SELECT pg_notify('orderstream_test_echo', 'sentinel')`);
      await eventually(async () => {
        expect(wakesElsewhere).toBe(2);
        expect(wakesHere).toBeGreaterThanOrEqual(3);
      });
      expect(wakesHere).toBe(3);
    } finally {
      await here.close();
      await elsewhere.close();
    }
  });
});

describe('readEvents', () => {
  it('finds events by id, only the owner’s when an owner is named, and never sends a non-uuid to the cast', async () => {
    const mine = await f.store.append({ ...request(randomUUID(), 'no-stream', 2), ownerId: 'customer-a' });
    const theirs = await f.store.append({ ...request(randomUUID(), 'no-stream'), ownerId: 'customer-b' });
    const ids = [...mine.events, ...theirs.events].map((e) => e.eventId);

    const all = await f.store.readEvents([...ids, 'not-a-uuid', randomUUID()]);
    expect(all.map((e) => e.eventId).sort()).toEqual([...ids].sort());
    expect(all.find((e) => e.eventId === mine.events[1]!.eventId)).toEqual(mine.events[1]);

    const own = await f.store.readEvents(ids, 'customer-a');
    expect(own.map((e) => e.eventId).sort()).toEqual(mine.events.map((e) => e.eventId).sort());
    await expect(f.store.readEvents(['NOT-A-UUID', "'; DROP TABLE events; --"])).resolves.toEqual([]);
  });
});
