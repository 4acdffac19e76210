import type { EventFilter, EventStore, StoredEvent } from '../eventstore';
import { matchesFilter } from '../eventstore/event-filter';
import { withinBytes } from '../eventstore/event-size';
import { takeTurn } from './fair-share';
import type { LogTailer } from '../log/tailer';

/** From the window: references to shared events, so a page costs little. */
const PAGE = 500;
/** From the log: this subscriber's own copies, held while its client is slow, so fewer, and bounded in bytes. */
const LOG_PAGE = 100;
const LOG_PAGE_BYTES = 2 ** 20;

/**
 * One `events` subscription: a cursor over the log that the client pulls at its own pace. Each step takes the
 * events after the cursor from the tailer's in-memory window, or, when they have already left it (a subscriber
 * that resumes from an old `after`, or one that fell behind during a burst), from the log with the gap-safe
 * reader; then it waits for the tailer to move. Nothing is pushed into per-subscriber buffers, so a slow client
 * costs a cursor, not memory, never holds up the others, and is never cut off: it reads from the log until it
 * is back in the window. Every step starts after the last position read, so nothing is skipped or repeated at
 * the seam between log and window.
 *
 * A plain iterator, not an async generator: return() (the client completed or went away) must end a subscriber
 * that is waiting for the next event at once, and a generator's return() waits for it to reach a yield.
 */
export class EventFeed implements AsyncIterableIterator<StoredEvent> {
  private last: bigint;
  /** Events to deliver, in order (this feed's own array; taken slots are cleared). */
  private ready: StoredEvent[] = [];
  private taken = 0;
  private closed = false;
  /** Ends the current wait for the tailer, and takes this feed off its waiters (set only while waiting). */
  private stopWaiting: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly tailer: LogTailer,
    private readonly filter: EventFilter,
    after: bigint | undefined,
  ) {
    this.last = after ?? tailer.head;
  }

  async next(): Promise<IteratorResult<StoredEvent>> {
    while (!this.closed) {
      if (this.taken < this.ready.length) {
        const event = this.ready[this.taken]!;
        // Let go of what was delivered: a feed blocked on a slow client keeps only what it has yet to send.
        this.ready[this.taken++] = undefined as unknown as StoredEvent;
        const turn = takeTurn();
        if (turn) await turn;
        if (this.closed) break;
        return { value: event, done: false };
      }
      await this.advance();
    }
    return { value: undefined, done: true };
  }

  return(): Promise<IteratorResult<StoredEvent>> {
    this.closed = true;
    this.ready = [];
    this.stopWaiting?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async advance(): Promise<void> {
    this.ready = [];
    this.taken = 0;
    const recent = this.tailer.eventsAfter(this.last, PAGE);
    if (recent === undefined) {
      const page = await this.store.readLog(this.last, LOG_PAGE, this.filter);
      if (this.closed) return;
      if (page.scannedTo > this.last) {
        const kept = withinBytes(page.events, LOG_PAGE_BYTES);
        this.ready = kept;
        // A page cut short resumes just after the last event kept (the rest is read again, later).
        this.last = kept.length < page.events.length ? kept.at(-1)!.position : page.scannedTo;
        return;
      }
    } else if (recent.length > 0) {
      // The window keeps events as they were read: a customer forgotten since then must not be shown from it.
      const ready = await this.store.honourErasures(recent.filter((event) => matchesFilter(this.filter, event)));
      if (this.closed) return;
      this.ready = ready;
      this.last = recent.at(-1)!.position;
      return;
    }
    if (this.tailer.isStopped) {
      this.closed = true;
      return;
    }
    // (After a log read that found nothing new, the tailer is ahead of the cursor: wait for its next page rather
    // than read the log again at once.)
    const past = recent === undefined ? this.tailer.head : this.last;
    // Waiting at its own cursor, a feed of one owner's events (a customer's) sleeps through others' events, and
    // skips them when it wakes: the tailer says up to where the log held nothing of that owner.
    const owner = recent === undefined ? undefined : this.filter.ownerId;
    await new Promise<void>((resolve) => {
      const cancel = this.tailer.whenPast(
        past,
        (quietTo) => {
          if (quietTo !== undefined && quietTo > this.last) this.last = quietTo;
          resolve();
        },
        owner,
      );
      this.stopWaiting = () => {
        cancel();
        resolve();
      };
    });
    this.stopWaiting = undefined;
  }
}
