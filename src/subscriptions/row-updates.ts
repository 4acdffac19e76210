import { takeTurn } from './fair-share';

/** Ends a subscription whose client fell too far behind; it resubscribes and reads the current rows. */
export class SubscriberTooSlow {}

/** A row a subscriber can follow: its id, and a version that grows with each change. */
export type LiveRow = { id: string; version: number };

/**
 * Versions this subscriber was sent, per row, newest rows kept: the feed already pushes each version once, so
 * this only guards the current row against the changes around it and costs little per subscriber.
 */
const REMEMBERED_VERSIONS = 1000;

/**
 * What one read-model subscriber (orderChanged, ordersChanged) has waiting: the newest version of each row changed
 * since it was last sent, so a client that lags gets each row's latest state once instead of every step, and rows
 * at or below a version already sent are dropped. The feed pushes without waiting; a subscriber with more than
 * `limit` different rows waiting is ended with SubscriberTooSlow rather than holding memory without bound. A plain
 * iterator so that return() ends a waiting subscriber at once (see EventFeed).
 */
export class RowUpdates<Row extends LiveRow> implements AsyncIterableIterator<Row | SubscriberTooSlow> {
  private readonly waiting = new Map<string, Row>();
  private readonly sent = new Map<string, number>();
  private initial: Promise<Row | null> | undefined;
  private wake: (() => void) | undefined;
  private ended = false;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  /** Delivered first (unless a newer version of it arrives before the client asks). */
  startWith(row: Promise<Row | null>): void {
    // Handled here too, so a failed read for a client that left before asking cannot become an unhandled rejection.
    row.catch(() => undefined);
    this.initial = row;
  }

  push(row: Row): void {
    if (this.ended || (this.waiting.get(row.id)?.version ?? 0) >= row.version) return;
    if (!this.waiting.has(row.id) && this.waiting.size >= this.limit) {
      this.overflowed = true;
      this.end();
      return;
    }
    this.waiting.set(row.id, row);
    this.wake?.();
  }

  /** No more pushes; what is waiting is still delivered. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose();
    this.wake?.();
  }

  async next(): Promise<IteratorResult<Row | SubscriberTooSlow>> {
    if (this.initial) {
      const initial = this.initial;
      this.initial = undefined;
      let first: Row | null;
      try {
        first = await initial;
      } catch (error) {
        // The client gets the error and the subscription is over: nothing will call return(), so stop watching now.
        this.end();
        throw error;
      }
      if (first) this.push(first);
    }
    for (;;) {
      const entry = this.waiting.entries().next();
      if (!entry.done) {
        const [id, row] = entry.value;
        this.waiting.delete(id);
        if ((this.sent.get(id) ?? 0) >= row.version) continue;
        this.remember(row);
        const turn = takeTurn();
        if (turn) await turn;
        return { value: row, done: false };
      }
      if (this.ended) {
        if (!this.overflowed) return { value: undefined, done: true };
        this.overflowed = false;
        return { value: new SubscriberTooSlow(), done: false };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** The client completed or went away: drop everything. */
  return(): Promise<IteratorResult<Row | SubscriberTooSlow>> {
    this.waiting.clear();
    this.overflowed = false;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private remember(row: Row): void {
    this.sent.delete(row.id);
    this.sent.set(row.id, row.version);
    if (this.sent.size > REMEMBERED_VERSIONS) this.sent.delete(this.sent.keys().next().value!);
  }
}
