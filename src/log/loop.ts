import type { Logger } from 'pino';

/** A loop's life: it runs steps from `start` until `stop`, then finishes the step under way and ends. */
export type LoopState = 'created' | 'running' | 'stopping' | 'stopped';

export type ConsumerLoopOptions = {
  /** Names the loop in logs. */
  name: string;
  /**
   * One unit of work. True when it did something and there may be more (the next step runs at once); false when
   * there was nothing to do (the loop waits for a poke, or `pollMs`).
   */
  step: () => Promise<boolean>;
  /** How long an idle loop waits when no poke comes; undefined: until a poke. */
  pollMs?: number;
  /** How long to wait after a step that threw before trying again. */
  retryMs: number;
  logger: Logger;
};

/**
 * The loop every consumer of the log runs (processors, the live tailer, the read-model feed): step while
 * there is work, wait when idle, woken early by `poke()` (an append here, a NOTIFY from elsewhere) or by polling
 * as the fallback, wait `retryMs` after a failure, and stop promptly. A poke that comes while a step runs is not
 * lost: the next wait returns at once. Written once so that each consumer says only what one step is.
 */
export class ConsumerLoop {
  private current: LoopState = 'created';
  private running: Promise<void> | undefined;
  private woken = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: ConsumerLoopOptions) {}

  get state(): LoopState {
    return this.current;
  }

  /** True from `stop()` on: a long step checks it to give up early. */
  get stopping(): boolean {
    return this.current === 'stopping' || this.current === 'stopped';
  }

  start(): void {
    if (this.current !== 'created') return;
    this.current = 'running';
    this.running = this.run();
  }

  /** Look for work now rather than at the next poll. */
  poke(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Resolves once the step under way (if any) has finished; idempotent. */
  async stop(): Promise<void> {
    if (this.current === 'created') this.current = 'stopped';
    if (this.current === 'running') this.current = 'stopping';
    this.poke();
    await this.running;
    this.current = 'stopped';
  }

  /**
   * Waits `ms` (undefined: until a poke), returning early on stop, and on a poke unless `pokes` is false (a retry
   * after a failure waits its time even while appends keep poking).
   */
  delay(ms: number | undefined, pokes = true): Promise<void> {
    if (this.stopping || (pokes && this.woken)) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === wake) this.wake = undefined;
        resolve();
      };
      const wake = () => {
        if (!pokes && !this.stopping) return;
        this.woken = false;
        done();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wake = wake;
    });
  }

  private async run(): Promise<void> {
    const { step, pollMs, retryMs, logger, name } = this.options;
    while (!this.stopping) {
      let progressed: boolean;
      try {
        progressed = await step();
      } catch (error) {
        if (this.stopping) break;
        logger.warn({ loop: name, err: error }, `${name}: step failed; retrying`);
        await this.delay(retryMs, false);
        continue;
      }
      if (!progressed) await this.delay(pollMs);
    }
  }
}
