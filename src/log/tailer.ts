import type { Logger } from 'pino';
import type { EventStore, StoredEvent, WakeUps } from '../eventstore';
import { ConsumerLoop } from './loop';
import { approximateJsonBytes } from '../eventstore/event-size';
import { ATTR_EVENT_COUNT, ATTR_POSITION_TO, ATTR_SUBSCRIBERS_WOKEN } from '../observability/attributes';
import type { Tracing } from '../observability/tracing';

export type TailListener = (events: readonly StoredEvent[]) => void;

/** What a processor near the head reads instead of the log: the tailer's window, and a call after each page. */
export type LogWindow = Pick<LogTailer, 'head' | 'eventsAfter' | 'listen'>;
type Waiter = (quietTo?: bigint) => void;

/**
 * About what an event costs in memory: parsed objects take a few times their JSON text. Measured once per event,
 * so the window stays bounded however large the payloads.
 */
function approximateSize(event: StoredEvent): number {
  return 2 * approximateJsonBytes(event);
}

/**
 * The one reader of the live log in this process: it follows the head with the gap-safe reader (woken by
 * appends here or NOTIFYs from other instances, polling as a fallback), hands each page, in order, to every
 * listener, and keeps the latest events (a bounded window) in memory for subscribers to read at their own pace.
 * However many subscribers there are, the database sees one query loop per process and memory holds one copy of
 * each recent event.
 */
export class LogTailer {
  private listeners = new Set<TailListener>();
  private position = 0n;
  /** The last read found committed events above the horizon (see LogPage.heldBack). */
  private heldBack = true;
  /** Every event in (windowStart, position] is in `recent`, from index `first` on, in log order. */
  private recent: StoredEvent[] = [];
  private sizes: number[] = [];
  private bytes = 0;
  private first = 0;
  private windowStart = 0n;
  /** Called once at the next page (or at stop); a waiter that gives up removes itself, so none pile up. */
  private readonly waiters = new Set<Waiter>();
  /**
   * Waiters that can only ever match one owner's events (a customer's subscriptions), by owner: called at the next
   * page that holds an event of theirs. An event then costs nothing to the idle subscriptions of every other
   * customer, where waking each would cost every append a few microseconds per open subscription.
   */
  private readonly ownerWaiters = new Map<string, Set<Waiter>>();
  private readonly loop: ConsumerLoop;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: EventStore,
    logger: Logger,
    /**
     * The window holds at most `windowSize` events and about `windowBytes` of them, whichever is less. With
     * `tracing`, handing a page over is a span (see `handOver`).
     */
    private readonly options: {
      pollMs: number;
      pageSize: number;
      windowSize: number;
      windowBytes: number;
      tracing?: Tracing;
      /** A checkpoint's commit ends a transaction, which may move the readers' horizon too (see horizonMoved). */
      checkpoints?: WakeUps;
    },
  ) {
    this.loop = new ConsumerLoop({
      name: 'log tailer',
      step: () => this.step(),
      pollMs: options.pollMs,
      retryMs: 1000,
      logger,
    });
  }

  /** Where the tailer is: every event at or below it has been handed to the listeners registered at the time. */
  get head(): bigint {
    return this.position;
  }

  get isStopped(): boolean {
    return this.loop.stopping;
  }

  async start(): Promise<void> {
    this.position = await this.store.logHead();
    this.windowStart = this.position;
    this.unsubscribe.push(this.store.onAppended((wake) => (wake === 'news' ? this.poke() : this.horizonMoved())));
    const checkpoints = this.options.checkpoints;
    if (checkpoints) this.unsubscribe.push(checkpoints.onWake(() => this.horizonMoved()));
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    const stopped = this.loop.stop();
    this.wakeWaiters(true);
    await stopped;
  }

  /**
   * Registers a listener and returns the tailer's position at that moment: the listener gets every event after
   * it, and nothing at or before it.
   */
  listen(listener: TailListener): { from: bigint; close: () => void } {
    this.listeners.add(listener);
    return { from: this.position, close: () => this.listeners.delete(listener) };
  }

  /**
   * Up to `max` events after `position` from memory, in log order; [] when the tailer has nothing after it yet,
   * undefined when events after it have already left the window (read those from the log).
   */
  eventsAfter(position: bigint, max: number): readonly StoredEvent[] | undefined {
    if (position < this.windowStart) return undefined;
    let lo = this.first;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.recent[mid]!.position <= position) lo = mid + 1;
      else hi = mid;
    }
    return this.recent.slice(lo, lo + max);
  }

  /**
   * Calls `fn` once the head has moved past `position` (at once if it already has, or the tailer has stopped).
   * Returns a cancel function for a waiter that stops waiting first.
   *
   * With `owner`, the waiter can only use that owner's events: it is called once the head has moved past an event
   * of theirs, with `quietTo`, a position up to which the log holds no event of that owner after `position` (the
   * caller may skip to it without reading what lies between).
   */
  whenPast(position: bigint, fn: (quietTo?: bigint) => void, owner?: string): () => void {
    if (this.position > position || this.isStopped) {
      fn();
      return () => undefined;
    }
    if (owner !== undefined) {
      // Called by a page past `position` (the head is at it now) or at stop: either way it is due.
      let waiters = this.ownerWaiters.get(owner);
      if (!waiters) this.ownerWaiters.set(owner, (waiters = new Set()));
      waiters.add(fn);
      return () => {
        const current = this.ownerWaiters.get(owner);
        if (current?.delete(fn) && current.size === 0) this.ownerWaiters.delete(owner);
      };
    }
    const waiter: Waiter = () => {
      if (this.position > position || this.isStopped) fn();
      else this.waiters.add(waiter);
    };
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  /** Look at the log now: something was appended. */
  poke(): void {
    this.loop.poke();
  }

  /**
   * A transaction ended that may have held the readers' horizon (a projector's batch): look again only if the
   * last read found events waiting above it. Anything committed since that read announces itself (poke).
   */
  horizonMoved(): void {
    if (this.heldBack) this.loop.poke();
  }

  /** One page of the log after the tailer's position; true when the page was full (read on at once). */
  private async step(): Promise<boolean> {
    const page = await this.store.readLog(this.position, this.options.pageSize);
    this.heldBack = page.heldBack ?? true;
    if (page.events.length > 0) {
      const before = this.position;
      this.remember(page.events);
      this.position = page.events.at(-1)!.position;
      const tracing = this.options.tracing;
      if (tracing?.enabled) this.tracedHandOver(tracing, page.events, before);
      else this.handOver(page.events, before);
    }
    return page.events.length === this.options.pageSize;
  }

  /**
   * To the read-model feed, and to every `events` subscription waiting for the head to move (of those waiting for
   * one owner's events, only the owners' in the page, told that nothing of theirs came after `before` until now).
   */
  private handOver(events: readonly StoredEvent[], before: bigint): void {
    for (const listener of this.listeners) listener(events);
    this.wakeWaiters();
    if (this.ownerWaiters.size === 0) return;
    const owners = new Set<string>();
    for (const event of events) if (event.ownerId !== null) owners.add(event.ownerId);
    for (const owner of owners) {
      const waiters = this.ownerWaiters.get(owner);
      if (!waiters) continue;
      this.ownerWaiters.delete(owner);
      for (const waiter of waiters) waiter(before);
    }
  }

  /**
   * Delivery to subscribers, traced at the one point every subscription on this instance shares: a span per page,
   * linked to the events' operations. A span per subscriber and event would cost as much as the fan-out itself
   * (a thousand subscribers make a thousand spans of every event), and each subscription then delivers at its own
   * pace anyway.
   */
  private tracedHandOver(tracing: Tracing, events: readonly StoredEvent[], before: bigint): void {
    const spec = {
      root: true,
      links: tracing.linksTo(events.map((e) => e.metadata)),
      attributes: {
        [ATTR_EVENT_COUNT]: events.length,
        [ATTR_POSITION_TO]: this.position.toString(),
        [ATTR_SUBSCRIBERS_WOKEN]: this.listeners.size + this.waiters.size,
      },
    };
    tracing.span('deliver to subscribers', spec, () => this.handOver(events, before));
  }

  /** Every unscoped waiter; at stop, every waiter. */
  private wakeWaiters(all = false): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    if (all) {
      for (const waiters of this.ownerWaiters.values()) waiting.push(...waiters);
      this.ownerWaiters.clear();
    }
    for (const waiter of waiting) waiter();
  }

  private remember(events: readonly StoredEvent[]): void {
    for (const event of events) {
      const size = approximateSize(event);
      this.recent.push(event);
      this.sizes.push(size);
      this.bytes += size;
    }
    let evicted = 0;
    while (
      this.first < this.recent.length &&
      (this.recent.length - this.first > this.options.windowSize || this.bytes > this.options.windowBytes)
    ) {
      this.windowStart = this.recent[this.first]!.position;
      this.bytes -= this.sizes[this.first]!;
      this.recent[this.first] = undefined as unknown as StoredEvent;
      this.first++;
      evicted++;
    }
    // Compacted once at least half of the arrays is evicted slots: each event is copied a bounded number of times.
    if (evicted > 0 && this.first * 2 >= this.recent.length) {
      this.recent = this.recent.slice(this.first);
      this.sizes = this.sizes.slice(this.first);
      this.first = 0;
    }
  }
}
