import type { Logger } from 'pino';
import type { FulfillmentConfig } from './config';
import type { Decision, Fulfiller } from './fulfill';
import type { Tracing } from './tracing';

/** A broker adapter's handle: `ready` once it receives (queue bound, durable consumer in place). */
export type Consumer = {
  ready: Promise<void>;
  /** Stops taking messages, waits for those in hand to be settled, then disconnects. */
  stop(): Promise<void>;
};

/** What a message came to, once the adapter has told the broker (`settled` false: the broker did not hear it). */
export type Settled = { decision: Decision; attempt: number; settled: boolean };

export type ConsumerDeps = {
  config: FulfillmentConfig;
  fulfil: Fulfiller;
  logger: Logger;
  /** Aborted when the service starts stopping: ends waits (reconnect backoff, retry holds). */
  signal: AbortSignal;
  observe?: (settled: Settled) => void;
  /** Each message's handling is a span continuing the trace its headers carry. */
  tracing: Tracing;
};

/** Reconnect backoff for the broker connection itself, separate from the per-message retry backoff. */
export const RECONNECT = { retryBaseMs: 250, retryMaxMs: 15_000 };

/** Messages being processed: bounded by `limit`, and awaited on stop so none is cut off mid-step. */
export class InFlight {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly limit: number) {}

  /** Waits until fewer than `limit` messages are in hand. */
  async room(): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
  }

  track(work: Promise<void>): void {
    const p = work.finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drained(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
