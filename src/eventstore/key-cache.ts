/**
 * A bounded map whose entries expire: what keeps a page of a thousand events from unwrapping its keys a thousand
 * times, while a key another instance deleted stops being used here within `ttlMs`. Least recently used goes first
 * (a Map iterates in insertion order; a hit moves its entry to the end).
 */
export class KeyCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** `ttlMs` Infinity: for what never changes again (a deleted key stays deleted). */
  set(key: string, value: V, ttlMs: number = this.ttlMs): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + ttlMs });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
