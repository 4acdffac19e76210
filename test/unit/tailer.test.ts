import type { StoredEvent } from '../../src/eventstore';
import { FakeLog } from '../support/fake-log';
import { reached, tailerFixture } from '../support/tailers';

// The live log's one reader, over an in-memory log: what listeners are handed, and the window of recent events
// that subscribers read from (`eventsAfter`), including how it forgets. Waits are on the tailer's own signal
// (`whenPast`), never on time: the poll interval is an hour, so only the append's poke moves the tailer.

const { start: startTailer } = tailerFixture();

const positionsOf = (events: readonly StoredEvent[] | undefined) => events?.map((e) => e.position);

describe('log tailer', () => {
  it('starts at the head of the log: listeners get only later events, every one once and in log order', async () => {
    const log = new FakeLog();
    log.append(5);
    const tailer = await startTailer(log, { pageSize: 3 });
    expect(tailer.head).toBe(log.head);
    const seen: bigint[] = [];
    const { from } = tailer.listen((events) => seen.push(...events.map((e) => e.position)));
    expect(from).toBe(log.head);
    for (let i = 0; i < 4; i++) log.append(2);
    log.append(7);
    await reached(tailer, log.head);
    expect(seen).toEqual(log.positions(from));
  });

  it('stops handing events to a listener once it is closed', async () => {
    const log = new FakeLog();
    const tailer = await startTailer(log);
    const seen: bigint[] = [];
    const listener = tailer.listen((events) => seen.push(...events.map((e) => e.position)));
    log.append(3);
    await reached(tailer, log.head);
    listener.close();
    log.append(3);
    await reached(tailer, log.head);
    expect(seen).toEqual(log.positions().slice(0, 3));
  });

  it('serves the events after a position from its window, at most as many as asked, and none after the head', async () => {
    const log = new FakeLog();
    const start = log.head;
    const tailer = await startTailer(log, { pageSize: 4 });
    log.append(10);
    await reached(tailer, log.head);
    const all = log.positions();
    expect(positionsOf(tailer.eventsAfter(start, 100))).toEqual(all);
    expect(positionsOf(tailer.eventsAfter(all[3]!, 3))).toEqual(all.slice(4, 7));
    // Between two events: the next one on.
    expect(positionsOf(tailer.eventsAfter(all[3]! + 5n, 100))).toEqual(all.slice(4));
    expect(tailer.eventsAfter(tailer.head, 100)).toEqual([]);
  });

  it('keeps at most windowSize events: a position whose successors have left the window gets undefined', async () => {
    const log = new FakeLog();
    const tailer = await startTailer(log, { pageSize: 4, windowSize: 10 });
    log.append(25);
    await reached(tailer, log.head);
    const all = log.positions();
    // The window holds the last 10 (events 16 to 25): after event 15 it can answer, after event 14 it cannot.
    expect(positionsOf(tailer.eventsAfter(all[14]!, 100))).toEqual(all.slice(15));
    expect(tailer.eventsAfter(all[13]!, 100)).toBeUndefined();
    expect(tailer.eventsAfter(0n, 100)).toBeUndefined();
  });

  it('a window that starts at the head cannot answer for earlier positions, since it never held those events', async () => {
    const log = new FakeLog();
    log.append(3);
    const tailer = await startTailer(log);
    expect(tailer.eventsAfter(tailer.head, 100)).toEqual([]);
    expect(tailer.eventsAfter(log.positions()[1]!, 100)).toBeUndefined();
  });

  it('bounds the window by size as well: large events leave it sooner than the count alone would say', async () => {
    const log = new FakeLog();
    // About 20 KB each in memory against a 70 KB window: fewer than 5 fit, although the count allows 1,000.
    const tailer = await startTailer(log, { pageSize: 2, windowBytes: 70_000 });
    log.append(12, { payload: { text: 'x'.repeat(10_000) } });
    await reached(tailer, log.head);
    const all = log.positions();
    expect(tailer.eventsAfter(all.at(-6)!, 100)).toBeUndefined();
    // What it keeps is the latest events, whole: after any position it holds, exactly the rest of the log.
    const kept = positionsOf(tailer.eventsAfter(tailer.head - 1n, 100));
    expect(kept).toEqual([log.head]);
    for (let i = all.length - 2; i >= 0; i--) {
      const served = tailer.eventsAfter(all[i]!, 100);
      if (served === undefined) break;
      expect(positionsOf(served)).toEqual(all.slice(i + 1));
    }
  });

  it('answers exactly after many evictions and compactions, at every page', async () => {
    const log = new FakeLog();
    const windowSize = 50;
    const tailer = await startTailer(log, { pageSize: 7, windowSize });
    let checked = 0;
    const wrong: unknown[] = [];
    // At every page the tailer hands over: the window is the last `windowSize` events read, no more, no fewer.
    // (Recorded, not asserted, in the listener: it runs inside the tailer's loop, which would catch the throw.)
    tailer.listen(() => {
      const read = log.positions().filter((p) => p <= tailer.head);
      const oldest = read.length - windowSize;
      if (oldest <= 0) return;
      checked++;
      const kept = positionsOf(tailer.eventsAfter(read[oldest - 1]!, windowSize + 1));
      const before = tailer.eventsAfter(read[oldest - 1]! - 1n, windowSize + 1);
      const same = JSON.stringify(kept?.map(String)) === JSON.stringify(read.slice(oldest).map(String));
      if (!same || before !== undefined) {
        wrong.push({ head: tailer.head, kept, before: positionsOf(before) });
      }
    });
    for (let i = 0; i < 100; i++) log.append(1 + (i % 13));
    await reached(tailer, log.head);
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('calls whenPast back once the head moves past the position, at once if it already has, and never once cancelled', async () => {
    const log = new FakeLog();
    log.append(2);
    const tailer = await startTailer(log);
    const calls: string[] = [];
    tailer.whenPast(log.positions()[0]!, () => calls.push('already past'));
    expect(calls).toEqual(['already past']);

    tailer.whenPast(tailer.head, () => calls.push('waiting'));
    const cancel = tailer.whenPast(tailer.head, () => calls.push('cancelled'));
    cancel();
    expect(calls).toEqual(['already past']);
    log.append(1);
    await reached(tailer, log.head);
    expect(calls).toEqual(['already past', 'waiting']);
  });

  it('wakes every waiter when it stops, and calls later ones back at once', async () => {
    const log = new FakeLog();
    const tailer = await startTailer(log);
    const calls: string[] = [];
    tailer.whenPast(tailer.head, () => calls.push('waiting'));
    await tailer.stop();
    expect(tailer.isStopped).toBe(true);
    expect(calls).toEqual(['waiting']);
    tailer.whenPast(tailer.head, () => calls.push('after stop'));
    expect(calls).toEqual(['waiting', 'after stop']);
  });
});
