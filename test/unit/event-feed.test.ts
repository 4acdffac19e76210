import type { EventFilter } from '../../src/eventstore';
import { EventFeed } from '../../src/subscriptions/event-feed';
import { LogTailer } from '../../src/log/tailer';
import { FakeLog } from '../support/fake-log';
import { reached, tailerFixture } from '../support/tailers';

// One `events` subscription's cursor, over an in-memory log and a real tailer: it reads from the tailer's window
// when it can and from the log when it must (a cursor older than the window, or a subscriber that fell behind),
// and the seam between the two must lose nothing and repeat nothing. Waits are on the tailer's own signal
// (`whenPast`) or on the feed's next event, never on time.

const { start: startTailer } = tailerFixture();

/** The next `n` events' positions (the feed waits for them to be appended). */
async function take(feed: EventFeed, n: number): Promise<bigint[]> {
  const positions: bigint[] = [];
  while (positions.length < n) {
    const result = await feed.next();
    if (result.done) throw new Error(`the feed ended after ${positions.length} of ${n} events`);
    positions.push(result.value.position);
  }
  return positions;
}

/** How many times feeds read the log (the tailer reads it too, without a filter). */
const feedReads = (log: FakeLog) => log.reads.filter((r) => r.filter !== undefined).length;

function feed(log: FakeLog, tailer: LogTailer, after?: bigint, filter: EventFilter = {}): EventFeed {
  return new EventFeed(log.store, tailer, filter, after);
}

describe('event feed', () => {
  it('without a cursor starts at the head and serves live events from the window, never reading the log', async () => {
    const log = new FakeLog();
    log.append(5);
    const tailer = await startTailer(log, { pageSize: 4 });
    const head = log.head;
    const live = feed(log, tailer);
    log.append(3);
    log.append(4);
    expect(await take(live, 7)).toEqual(log.positions(head));
    log.append(2);
    expect(await take(live, 2)).toEqual(log.positions(head).slice(7));
    expect(feedReads(log)).toBe(0);
  });

  it('from a cursor the window never held, reads the log, then joins the window with every event once and in order', async () => {
    const log = new FakeLog();
    log.append(250);
    const tailer = await startTailer(log, { pageSize: 7 });
    const replay = feed(log, tailer, 0n);
    const delivered = await take(replay, 120);
    // Live events keep coming while the feed is still in the log.
    log.append(30);
    delivered.push(...(await take(replay, 160)));
    expect(delivered).toEqual(log.positions());
    const readsAtTheSeam = feedReads(log);
    expect(readsAtTheSeam).toBeGreaterThan(0);
    // Past the seam it is served from the window: more live events cost no log read.
    log.append(20);
    expect(await take(replay, 20)).toEqual(log.positions().slice(280));
    expect(feedReads(log)).toBe(readsAtTheSeam);
  });

  it('a filtered feed gets every matching event and only those, from the log and from the window alike', async () => {
    const log = new FakeLog();
    for (let i = 0; i < 40; i++) log.append(1 + (i % 3), { aggregateType: i % 2 === 0 ? 'Order' : 'Customer' });
    const tailer = await startTailer(log, { pageSize: 5 });
    const orders = feed(log, tailer, 0n, { aggregateType: 'Order' });
    const inLog = log.positions(0n, 'Order').length;
    const delivered = await take(orders, inLog);
    for (let i = 0; i < 40; i++) log.append(1 + (i % 4), { aggregateType: i % 3 === 0 ? 'Order' : 'Customer' });
    delivered.push(...(await take(orders, log.positions(0n, 'Order').length - inLog)));
    expect(delivered).toEqual(log.positions(0n, 'Order'));
    // And nothing else is waiting: the next event the feed delivers is the next Order appended.
    const [next] = log.append(1, { aggregateType: 'Order' });
    log.append(1, { aggregateType: 'Customer' });
    expect(await take(orders, 1)).toEqual([next!.position]);
  });

  it('a subscriber that falls behind the window catches up from the log, then from the window, with no gap or repeat', async () => {
    const log = new FakeLog();
    const tailer = await startTailer(log, { pageSize: 5, windowSize: 20 });
    const slow = feed(log, tailer);
    log.append(5);
    const delivered = await take(slow, 5);
    expect(feedReads(log)).toBe(0);
    // 100 events while it does not read: the tailer moves on and its window forgets what this feed needs.
    for (let i = 0; i < 10; i++) log.append(10);
    await reached(tailer, log.head);
    expect(tailer.eventsAfter(delivered.at(-1)!, 1)).toBeUndefined();
    delivered.push(...(await take(slow, 100)));
    expect(feedReads(log)).toBeGreaterThan(0);
    const readsWhenCaughtUp = feedReads(log);
    log.append(3);
    delivered.push(...(await take(slow, 3)));
    expect(delivered).toEqual(log.positions());
    expect(feedReads(log)).toBe(readsWhenCaughtUp);
  });

  it("a customer's idle feeds sleep through other customers' events, then get their own with nothing skipped or read twice", async () => {
    const log = new FakeLog();
    // A window much smaller than the others' burst: a woken feed that had to look through it would read the log.
    const tailer = await startTailer(log, { pageSize: 5, windowSize: 10 });
    const looks = jest.spyOn(tailer, 'eventsAfter');
    const alice = Array.from({ length: 50 }, () => feed(log, tailer, undefined, { ownerId: 'alice' }));
    const staff = feed(log, tailer);
    const start = log.head;
    const firsts = alice.map((f) => f.next());
    // Each feed has looked at the window once and is waiting on the tailer.
    await new Promise(setImmediate);
    const looksWhileIdle = looks.mock.calls.length;
    for (let i = 0; i < 20; i++) log.append(3, { ownerId: 'bob' });
    await reached(tailer, log.head);
    await new Promise(setImmediate);
    expect(looks.mock.calls.length).toBe(looksWhileIdle);
    const own = [...log.append(2, { ownerId: 'alice' }), ...log.append(1, { ownerId: 'alice' })].map((e) => e.position);
    const delivered = await Promise.all(
      alice.map(async (f, i) => [(await firsts[i]!).value.position, ...(await take(f, 2))]),
    );
    for (const positions of delivered) expect(positions).toEqual(own);
    expect(feedReads(log)).toBe(0);
    expect(await take(staff, 63)).toEqual(log.positions(start));
  });

  it('return() ends a feed that is waiting for the next event, at once', async () => {
    const log = new FakeLog();
    const tailer = await startTailer(log);
    const waiting = feed(log, tailer);
    const next = waiting.next();
    await waiting.return();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
    log.append(1);
    await reached(tailer, log.head);
    await expect(waiting.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('ends when the tailer stops', async () => {
    const log = new FakeLog();
    const tailer = await startTailer(log);
    const waiting = feed(log, tailer);
    const next = waiting.next();
    await tailer.stop();
    await expect(next).resolves.toEqual({ value: undefined, done: true });
  });
});
