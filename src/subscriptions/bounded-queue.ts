/**
 * A per-subscriber queue that a producer pushes into without ever waiting, drained by the subscription's async
 * iterator at the client's pace. It holds at most `limit` items: a subscriber that falls that far behind is cut
 * off (`overflowed`) instead of stalling the producer or growing without bound. Hand-written because the pub/sub
 * helpers at hand either block the producer (back-pressure would let one slow client stall everyone) or buffer
 * without a bound.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly onClose: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** False when the queue is full (it is then ended and marked overflowed) or already ended. */
  push(item: T): boolean {
    if (this.ended) return false;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return true;
    }
    if (this.size >= this.limit) {
      this.overflowed = true;
      this.end();
      return false;
    }
    this.items.push(item);
    return true;
  }

  /** No more items: the iterator finishes once the queued ones are consumed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose();
    if (this.waiting && this.size === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head]!;
      this.items[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The client went away (complete, disconnect): drop everything. */
  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.head = 0;
    this.end();
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
