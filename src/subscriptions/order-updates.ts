import type { OrderRecord } from '../orders/read-model';
import { takeTurn } from './fair-share';

/** Ends a subscription whose client fell too far behind; it resubscribes and reads the current rows. */
export class SubscriberTooSlow {}

/**
 * Versions this subscriber was sent, per order, newest orders kept: the feed already pushes each version once, so
 * this only guards the current row against the changes around it and costs little per subscriber.
 */
const REMEMBERED_VERSIONS = 1000;

/**
 * What one orderChanged/ordersChanged subscriber has waiting: the newest row of each order changed since it was
 * last sent, so a client that lags gets each order's latest state once instead of every step, and rows at or
 * below a version already sent are dropped. The feed pushes without waiting; a subscriber with more than `limit`
 * different orders waiting is ended with SubscriberTooSlow rather than holding memory without bound. A plain
 * iterator so that return() ends a waiting subscriber at once (see EventFeed).
 */
export class OrderUpdates implements AsyncIterableIterator<OrderRecord | SubscriberTooSlow> {
  private readonly waiting = new Map<string, OrderRecord>();
  private readonly sent = new Map<string, number>();
  private initial: Promise<OrderRecord | null> | undefined;
  private wake: (() => void) | undefined;
  private ended = false;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  /** Delivered first (unless a newer version of it arrives before the client asks). */
  startWith(row: Promise<OrderRecord | null>): void {
    // Handled here too, so a failed read for a client that left before asking cannot become an unhandled rejection.
    row.catch(() => undefined);
    this.initial = row;
  }

  push(order: OrderRecord): void {
    if (this.ended || (this.waiting.get(order.id)?.version ?? 0) >= order.version) return;
    if (!this.waiting.has(order.id) && this.waiting.size >= this.limit) {
      this.overflowed = true;
      this.end();
      return;
    }
    this.waiting.set(order.id, order);
    this.wake?.();
  }

  /** No more pushes; what is waiting is still delivered. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose();
    this.wake?.();
  }

  async next(): Promise<IteratorResult<OrderRecord | SubscriberTooSlow>> {
    if (this.initial) {
      const initial = this.initial;
      this.initial = undefined;
      let first: OrderRecord | null;
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
        const [id, order] = entry.value;
        this.waiting.delete(id);
        if ((this.sent.get(id) ?? 0) >= order.version) continue;
        this.remember(order);
        const turn = takeTurn();
        if (turn) await turn;
        return { value: order, done: false };
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
  return(): Promise<IteratorResult<OrderRecord | SubscriberTooSlow>> {
    this.waiting.clear();
    this.overflowed = false;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private remember(order: OrderRecord): void {
    this.sent.delete(order.id);
    this.sent.set(order.id, order.version);
    if (this.sent.size > REMEMBERED_VERSIONS) this.sent.delete(this.sent.keys().next().value!);
  }
}
