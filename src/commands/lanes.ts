/**
 * One lane per key: work submitted under the same key runs one at a time, in arrival order; different keys run
 * concurrently. Commands on one aggregate queue in its lane instead of racing each other to the append (a race
 * they would settle by conflict, re-read and retry), so within one process they never conflict; retries are left
 * for races between instances.
 *
 * Written here rather than taken from a library: it is a map of promise chains, and the keyed-mutex packages on
 * npm are either unmaintained or add timers and cancellation this does not need.
 */
export class Lanes {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once everything submitted before it under `key` has settled; resolves or rejects as it does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(work, work) : work();
    // The lane's tail never rejects, so the next in line starts whatever this one's outcome.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      // The last in line clears the lane, so the map holds only keys with work pending.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work pending or running. */
  get size(): number {
    return this.tails.size;
  }
}
