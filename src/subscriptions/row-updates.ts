import { takeTurn } from './fair-share';

/** Ends a subscription whose client fell too far behind; it resubscribes and reads the current rows. */
export class SubscriberTooSlow {}

/** A row a subscriber can follow: its id, and a version that grows with each change. */
export type LiveRow = { id: string; version: number };

/**
 * What a subscriber is told when one of its waiting rows is its turn: a message, or nothing (already told, or
 * nothing to tell); `last` ends the subscription after that message.
 */
export interface RowMessages<Row extends LiveRow, Message> {
  take(row: Row): { message: Message; last?: boolean } | undefined;
}

/**
 * Versions this subscriber was sent, per row, newest rows kept: the feed already pushes each version once, so
 * this only guards the current row against the changes around it and costs little per subscriber.
 */
const REMEMBERED_VERSIONS = 1000;

/** The row itself, each version at most once (orderChanged, ordersChanged). */
export class LatestVersions<Row extends LiveRow> implements RowMessages<Row, Row> {
  private readonly sent = new Map<string, number>();

  take(row: Row): { message: Row } | undefined {
    if ((this.sent.get(row.id) ?? 0) >= row.version) return undefined;
    this.sent.delete(row.id);
    this.sent.set(row.id, row.version);
    if (this.sent.size > REMEMBERED_VERSIONS) this.sent.delete(this.sent.keys().next().value!);
    return { message: row };
  }
}

/**
 * What one read-model subscriber (orderChanged, ordersChanged, orderListChanged) has waiting: the newest version of
 * each row changed since it was last sent, so a client that lags gets each row's latest state once instead of every
 * step; `messages` says what each becomes when its turn comes. The feed pushes without waiting; a subscriber with more than
 * `limit` different rows waiting is ended with SubscriberTooSlow rather than holding memory without bound. A plain
 * iterator so that return() ends a waiting subscriber at once (see EventFeed).
 */
export class RowUpdates<Row extends LiveRow, Message = Row> implements AsyncIterableIterator<
  Message | SubscriberTooSlow
> {
  private readonly waiting = new Map<string, Row>();
  private initial: Promise<Row | null> | undefined;
  private wake: (() => void) | undefined;
  private ended = false;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void,
    private readonly messages: RowMessages<Row, Message>,
  ) {}

  /** Delivered first (unless a newer version of it arrives before the client asks). */
  startWith(row: Promise<Row | null>): void {
    // Handled here too, so a failed read for a client that left before asking cannot become an unhandled rejection.
    row.catch(() => undefined);
    this.initial = row;
  }

  /** The subscription's first rows, before any change: they count against no limit (the caller bounds them). */
  seed(rows: readonly Row[]): void {
    for (const row of rows) this.waiting.set(row.id, row);
    this.wake?.();
  }

  /** Whether a version of this row waits to be delivered. */
  holds(id: string): boolean {
    return this.waiting.has(id);
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

  async next(): Promise<IteratorResult<Message | SubscriberTooSlow>> {
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
        const taken = this.messages.take(row);
        if (!taken) continue;
        if (taken.last) {
          this.waiting.clear();
          this.end();
        }
        const turn = takeTurn();
        if (turn) await turn;
        return { value: taken.message, done: false };
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
  return(): Promise<IteratorResult<Message | SubscriberTooSlow>> {
    this.waiting.clear();
    this.overflowed = false;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
