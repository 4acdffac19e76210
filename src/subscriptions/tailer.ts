import type { Logger } from 'pino';
import type { EventStore, StoredEvent } from '../eventstore';

export type TailListener = (events: readonly StoredEvent[]) => void;

/**
 * The one reader of the live log in this process: it follows the head with the gap-safe reader (woken by
 * appends here or NOTIFYs from other instances, polling as a fallback) and hands each page, in order, to every
 * listener. However many subscribers there are, the database sees one query loop per process.
 */
export class LogTailer {
  private listeners = new Set<TailListener>();
  private position = 0n;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private woken = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly options: { pollMs: number; pageSize: number },
  ) {}

  /** Where the tailer is: every event at or below it has been handed to the listeners registered at the time. */
  get head(): bigint {
    return this.position;
  }

  async start(): Promise<void> {
    this.position = await this.store.logHead();
    this.unsubscribe = this.store.onAppended(() => this.poke());
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.poke();
    await this.running;
  }

  /**
   * Registers a listener and returns the tailer's position at that moment: the listener gets every event after
   * it, and nothing at or before it.
   */
  listen(listener: TailListener): { from: bigint; close: () => void } {
    this.listeners.add(listener);
    return { from: this.position, close: () => this.listeners.delete(listener) };
  }

  /** Look at the log now (something was appended, or the readers' horizon moved). */
  poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let page;
      try {
        page = await this.store.readLog(this.position, this.options.pageSize);
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ error: (error as Error).message }, 'log tailer read failed; retrying');
        await this.sleep(1000);
        continue;
      }
      if (page.events.length > 0) {
        this.position = page.events.at(-1)!.position;
        for (const listener of this.listeners) listener(page.events);
      }
      if (page.events.length < this.options.pageSize) await this.sleep(this.options.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.wake = undefined;
        this.woken = false;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
