import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma';
import { isTransient } from '../db/sql-errors';
import type { EventStore, LogPage, StoredEvent, WakeUps } from '../eventstore';
import { pageWithinBytes } from '../eventstore/event-size';
import { ATTR_EVENT_COUNT, ATTR_POSITION_FROM, ATTR_POSITION_TO } from '../observability/attributes';
import { TRACING_OFF, type SpanSpec, type Tracing } from '../observability/tracing';
import {
  advanceCheckpoint,
  ensureCheckpoint,
  markFailed,
  moveCheckpoint,
  readCheckpoint,
  recordError,
  type CheckpointRow,
} from './checkpoints';
import { CheckpointMoved, commitBatch, type BatchEffect, type Statements } from './commit';
import type { Leadership } from './leadership';
import { hasParked, heldAggregates, heldError, park, type Parking } from './parked';
import { ConsumerLoop } from './loop';
import type { LogWindow } from './tailer';

/**
 * What a processor does with each page of the log: the one thing projectors and the relay differ in. The
 * handler never sees how its batch is committed.
 */
export type Handler<R> = InTransactionHandler<R> | AfterEffectHandler;

/**
 * Exactly once: the effect is statements, sent in the transaction that moves the checkpoint (compare-and-set on
 * where this processor left it), so a crash anywhere leaves all of a batch or none of it. A batch that throws is
 * split to find the event at fault; that event is then parked (its aggregate's later events held behind it) and
 * the processor goes on, or, with `onError: 'stop'`, the processor is FAILED just before it until an operator
 * retries it.
 */
export type InTransactionHandler<R> = {
  kind: 'in-transaction';
  /** Reads what the batch needs through `tx` and folds the events; returns the batch's writes. */
  apply(events: readonly StoredEvent[], tx: Statements): Promise<BatchEffect<R>>;
};

/**
 * At least once: the effect leaves the database (a publish), and the checkpoint moves once it has succeeded, so a
 * crash between the two repeats the batch. A failure pauses the processor (backing off) and never skips a batch.
 */
export type AfterEffectHandler = {
  kind: 'after-effect';
  apply(events: readonly StoredEvent[]): Promise<void>;
};

export type ProcessorState = 'WORKING' | 'IDLE' | 'RETRYING' | 'FOLLOWING' | 'STOPPED';

export type ProcessorOptions = {
  /** Its checkpoint row and its lock: one leader across instances. */
  name: string;
  /** Written to a new checkpoint row (a projector's code version). */
  version: number;
  /** The event types it reads; the others are skipped without being loaded. Undefined: every event. */
  eventTypes?: readonly string[];
  /** Events a batch starts with; while pages come back full, batches double up to `maxBatchSize`. */
  batchSize: number;
  maxBatchSize: number;
  /**
   * The most a batch holds, as JSON: events are bounded in size only by the input limits, and a batch's effect may
   * be one document of all of them.
   */
  batchBytes?: number;
  /** How long an idle processor sleeps before looking again if no wake-up came (and a follower tries to lead). */
  pollMs: number;
  /** The first wait after a failed step; it doubles up to `maxRetryMs` while failures go on. */
  retryMs: number;
  maxRetryMs: number;
  /** Each batch is a span of its own, linked to the operations whose events it handles. */
  span?(events: readonly StoredEvent[], from: bigint, to: bigint): { name: string; spec: SpanSpec };
  /** Test seam: runs inside a batch's transaction after its writes and the checkpoint, before COMMIT. */
  beforeCommit?(tx: Statements): Promise<void>;
  /**
   * What an in-transaction processor does with an event it cannot apply (a failure that is not the database's
   * being away, which is retried): park it and go on (the default), or stop FAILED before it.
   */
  onError?: 'park' | 'stop';
};

/** What a processor runs on. Nothing here is request-scoped: a processor can run in any thread that has these. */
export type ProcessorDeps = {
  prisma: PrismaClient;
  /** Pipelined connections for in-transaction batches. */
  batchPool?: Pool;
  store: EventStore;
  /** The process's one live reader: near the head, batches come from its window instead of the log. */
  window?: LogWindow;
  leadership: Leadership;
  logger: Logger;
  tracing?: Tracing;
  /**
   * Checkpoint moves, here or in other instances: an in-transaction batch sends its NOTIFY inside its own
   * transaction (it goes out at the commit, without a statement or a transaction of its own); every processor
   * looks again when one comes, since a commit also moves the readers' horizon.
   */
  checkpoints?: WakeUps;
};

export type ProcessorHooks<R> = {
  /** This process has just become the leader (another may have written meanwhile). */
  leading?(): void;
  /**
   * Before each batch while leading, with the checkpoint as this process knows it: true or false takes the step
   * over (work done, or nothing to do), undefined lets the batch run. A projector's rebuild runs here.
   */
  beforeBatch?(checkpoint: CheckpointRow): Promise<boolean | undefined>;
  /** A batch committed: the new checkpoint and what its effect returned. */
  committed?(position: bigint, result: R | undefined): void;
  /** After an in-transaction batch committed: how long its transaction took. */
  batchDone?(seconds: number): void;
  /** Marked FAILED (it stays stopped until an operator retries it). */
  failed?(): void;
  /** An event it could not apply was parked, in the transaction that moved the checkpoint past it. */
  parked?(event: StoredEvent): void;
  state?(state: ProcessorState): void;
};

const CHECKPOINT_REFRESH_MS = 1000;

class HandlerFailed extends Error {
  readonly eventId: string | null;
  constructor(
    /** The event the handler threw on, when one is to blame. */
    readonly event: StoredEvent | undefined,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.eventId = event?.eventId ?? null;
  }
}

type Read = LogPage & { full: boolean };

/**
 * Follows the log from a checkpoint while this process leads it: takes the lock, reads a page after the checkpoint
 * (from the tailer's window when near the head, from the log behind it), hands it to the handler, and moves the
 * checkpoint. Batching, retries, finding a bad event, tracing and the commit protocol live here once; a handler
 * only says what a batch does.
 */
export class Processor<R = unknown> {
  private checkpoint: CheckpointRow | undefined;
  private checkedAt = 0;
  private refreshRequested = false;
  private failures = 0;
  private readonly loop: ConsumerLoop;
  private readonly eventTypes: ReadonlySet<string> | undefined;
  /** How many events the next batch asks for (see nextReadSize). */
  private readSize: number;
  private readonly unsubscribe: (() => void)[] = [];
  /**
   * Whether this processor may have parked events, so that a batch must look for aggregates held behind one. Read
   * when it starts to lead and when asked to refresh; set when it parks. Only the leader parks (its rebuild too, in
   * the same steps), and an operator only removes rows, so false cannot turn wrong while this process leads; true
   * once none remain costs a look per batch until the next refresh.
   */
  private mayHaveParked = true;

  constructor(
    private readonly handler: Handler<R>,
    private readonly options: ProcessorOptions,
    private readonly deps: ProcessorDeps,
    private readonly hooks: ProcessorHooks<R> = {},
  ) {
    this.eventTypes = options.eventTypes && new Set(options.eventTypes);
    this.readSize = options.batchSize;
    this.loop = new ConsumerLoop({
      name: options.name,
      step: () => this.step(),
      pollMs: options.pollMs,
      retryMs: options.retryMs,
      logger: deps.logger,
    });
  }

  get name(): string {
    return this.options.name;
  }

  get leads(): boolean {
    return this.deps.leadership.holds(this.name);
  }

  get stopping(): boolean {
    return this.loop.stopping;
  }

  start(): void {
    const poke = () => this.poke();
    this.unsubscribe.push(this.deps.store.onAppended(poke));
    if (this.deps.checkpoints) this.unsubscribe.push(this.deps.checkpoints.onWake(poke));
    const window = this.deps.window?.listen(poke);
    if (window) this.unsubscribe.push(() => window.close());
    this.loop.start();
  }

  poke(): void {
    this.loop.poke();
  }

  /** Someone else changed the checkpoint row (an operator's retry, rebuild or restart): look at it next step. */
  refresh(): void {
    this.refreshRequested = true;
    this.poke();
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    await this.loop.stop();
    this.hooks.state?.('STOPPED');
    await this.deps.leadership.release(this.name);
  }

  /** One unit of work; false when there was nothing to do. */
  private async step(): Promise<boolean> {
    try {
      const progressed = await this.work();
      this.failures = 0;
      return progressed;
    } catch (error) {
      if (this.stopping) return false;
      await this.backOff(error);
      return true;
    }
  }

  private async work(): Promise<boolean> {
    const { leadership, prisma, logger } = this.deps;
    const name = this.name;
    if (!leadership.holds(name)) {
      this.checkpoint = undefined;
      if (!(await leadership.tryAcquire(name))) {
        this.hooks.state?.('FOLLOWING');
        return false;
      }
      logger.info({ processor: name }, 'leading');
      this.hooks.leading?.();
    }
    // While leading, this processor alone moves the checkpoint, so its own copy is current; the row is re-read now
    // and then for what operators change (retry, rebuild, restart), at once when asked.
    if (!this.checkpoint) {
      this.checkpoint = await ensureCheckpoint(prisma, name, this.options.version);
      this.mayHaveParked = this.handler.kind === 'in-transaction' && (await hasParked(prisma, name));
      this.checkedAt = Date.now();
    } else if (this.refreshRequested || Date.now() - this.checkedAt > CHECKPOINT_REFRESH_MS) {
      // An operator's retry or skip asks for this: it may have resolved the last of them.
      if (this.refreshRequested && this.handler.kind === 'in-transaction') {
        this.mayHaveParked = await hasParked(prisma, name);
      }
      this.refreshRequested = false;
      this.checkpoint = await readCheckpoint(prisma, name);
      this.checkedAt = Date.now();
      if (!this.checkpoint) return false;
    }
    const routed = await this.hooks.beforeBatch?.(this.checkpoint);
    if (routed !== undefined) return routed;
    if (this.checkpoint.status === 'FAILED') return false;
    return this.batch(this.checkpoint.position);
  }

  /**
   * One batch after `from`: read, apply, move the checkpoint. Also how a rebuild keeps the live tables current
   * while it runs. True when it handled events.
   */
  async batch(from: bigint): Promise<boolean> {
    const size = this.readSize;
    const read = this.fromWindow(from, size) ?? (await this.fromLog(from, size));
    this.nextReadSize(read.full);
    const batchBytes = this.options.batchBytes;
    const page = batchBytes === undefined ? read : pageWithinBytes(read, batchBytes);
    if (page.events.length === 0 && page.scannedTo <= from) {
      this.hooks.state?.('IDLE');
      return false;
    }
    if (page.events.length > 0) this.hooks.state?.('WORKING');
    if (this.handler.kind === 'after-effect') return this.effectThenMove(this.handler, from, page);
    try {
      await this.traced(from, page, () => this.inTransaction(from, page));
    } catch (error) {
      if (!(error instanceof HandlerFailed)) throw error;
      await this.fail(error.reason, error.event);
    }
    return page.events.length > 0;
  }

  /** The page after `from` read from the log, behind the window (after a restart, a rebuild, a long stop). */
  private async fromLog(from: bigint, size: number): Promise<Read> {
    const filter = this.options.eventTypes ? { eventTypes: this.options.eventTypes } : undefined;
    const page = await this.deps.store.readLog(from, size, filter);
    return { ...page, full: page.events.length === size };
  }

  /**
   * The page after `from` out of the window, when it still reaches back to `from`: every processor of this
   * process, the live subscriptions and the read-model feed share one read of each new event (the reader is the
   * same gap-safe one, so the page is what a read of the log would return). Undefined when the window does not
   * reach back that far: read the log then. Nothing new there means nothing to do: the window pokes after each
   * page it takes in.
   */
  private fromWindow(from: bigint, size: number): Read | undefined {
    const window = this.deps.window;
    const events = window?.eventsAfter(from, size);
    if (!window || events === undefined) return undefined;
    const full = events.length === size;
    const scannedTo = full ? events.at(-1)!.position : window.head;
    const types = this.eventTypes;
    return {
      events: types ? events.filter((e) => types.has(e.eventType)) : [...events],
      scannedTo: scannedTo > from ? scannedTo : from,
      full,
    };
  }

  /**
   * Batches double while there are that many events to take, up to `maxBatchSize`: a processor behind (after a
   * restart, a burst) commits once per few thousand events rather than per `batchSize`, each batch still within
   * `batchBytes`. A page that was not full means the head is near, and the size falls back to `batchSize`.
   */
  private nextReadSize(full: boolean): void {
    const { batchSize, maxBatchSize } = this.options;
    this.readSize = full ? Math.min(this.readSize * 2, Math.max(batchSize, maxBatchSize)) : batchSize;
  }

  /**
   * A batch handles the events of many operations at once: its span is a root of its own, with a link to each
   * event's trace context (recorded at its append) rather than a child of any one of them.
   */
  private traced<T>(from: bigint, page: LogPage, fn: () => Promise<T>): Promise<T> {
    const tracing = this.deps.tracing ?? TRACING_OFF;
    if (!tracing.enabled || page.events.length === 0) return fn();
    const own = this.options.span?.(page.events, from, page.scannedTo);
    const spec: SpanSpec = {
      ...own?.spec,
      root: true,
      links: tracing.linksTo(page.events.map((e) => e.metadata)),
      attributes: {
        [ATTR_EVENT_COUNT]: page.events.length,
        [ATTR_POSITION_FROM]: from.toString(),
        [ATTR_POSITION_TO]: page.scannedTo.toString(),
        ...own?.spec.attributes,
      },
    };
    return tracing.span(own?.name ?? this.name, spec, fn);
  }

  /** The handler's statements and the checkpoint's move in one transaction; a batch that throws is split. */
  private async inTransaction(from: bigint, page: LogPage): Promise<void> {
    const handler = this.handler as InTransactionHandler<R>;
    const { batchPool, checkpoints } = this.deps;
    if (!batchPool) throw new Error(`${this.name}: an in-transaction processor needs the batch pool`);
    const to = page.scannedTo;
    const started = performance.now();
    const beforeCommit = this.options.beforeCommit;
    // The NOTIFY that tells other instances the checkpoint moved rides in the batch's transaction, sent at its
    // commit without a statement or a transaction of its own.
    const wake = checkpoints?.send('carried');
    try {
      const result = await commitBatch(batchPool, {
        // The checkpoint moves first, on the wire together with BEGIN and the handler's first read, and the
        // NOTIFY with it: both are settled before COMMIT, which goes out right behind the handler's writes.
        guard: async (tx) => {
          const [advanced] = await Promise.all([
            advanceCheckpoint(tx, this.name, from, to),
            wake?.notify &&
              tx.query({
                name: 'notify-wake',
                text: 'SELECT pg_notify($1, $2)',
                values: [wake.notify.channel, wake.notify.payload],
              }),
          ]);
          return advanced;
        },
        apply: (tx) => this.applyUnheld(handler, page.events, tx),
        beforeCommit,
      });
      if (this.checkpoint) this.checkpoint = { ...this.checkpoint, position: to };
      this.hooks.committed?.(to, result);
      wake?.sent(true);
      this.hooks.batchDone?.((performance.now() - started) / 1000);
    } catch (error) {
      wake?.sent(false);
      if (error instanceof CheckpointMoved) return this.lostLead('checkpoint moved under this processor');
      if (isTransient(error)) throw error;
      if (page.events.length <= 1) {
        const [only] = page.events;
        if (only && this.options.onError !== 'stop') return this.parkEvent(from, page, only, error);
        throw new HandlerFailed(only, error);
      }
      // Find the event at fault: everything before it is applied; it is parked, or the checkpoint stops before it.
      let position = from;
      for (const event of page.events) {
        if (!this.leads) return;
        await this.inTransaction(position, { events: [event], scannedTo: event.position });
        position = event.position;
      }
    }
  }

  /**
   * The handler's effect for the events of aggregates nobody holds; the others are held behind their aggregate's
   * parked event, in the same transaction. The look for holds goes out after the checkpoint's move, which waits for
   * an operator's retry or skip holding that row: it sees what they resolved.
   */
  private async applyUnheld(
    handler: InTransactionHandler<R>,
    events: readonly StoredEvent[],
    tx: Statements,
  ): Promise<BatchEffect<R>> {
    if (!this.mayHaveParked || events.length === 0) return handler.apply(events, tx);
    const heads = await heldAggregates(tx, this.name, false, [...new Set(events.map((e) => e.aggregateId))]);
    if (heads.size === 0) return handler.apply(events, tx);
    const held: Parking[] = [];
    const free: StoredEvent[] = [];
    for (const event of events) {
      const head = heads.get(event.aggregateId);
      if (head === undefined) free.push(event);
      else held.push({ event, error: heldError(head), heldBehind: head });
    }
    const effect = await handler.apply(free, tx);
    return {
      result: effect.result,
      write: (statements) => Promise.all([effect.write(statements), park(statements, this.name, false, held)]),
    };
  }

  /**
   * `event` (a page of its own) cannot be applied: the checkpoint moves past it in the transaction that parks it,
   * and its aggregate's later events are held behind it from the next batch on.
   */
  private async parkEvent(from: bigint, page: LogPage, event: StoredEvent, reason: unknown): Promise<void> {
    const error = reason instanceof Error ? reason.message : String(reason);
    const to = page.scannedTo;
    await commitBatch(this.deps.batchPool!, {
      guard: (tx) => advanceCheckpoint(tx, this.name, from, to),
      apply: () =>
        Promise.resolve({ write: (tx) => park(tx, this.name, false, [{ event, error, heldBehind: null }]), result: 0 }),
    }).catch((e: unknown) => {
      if (e instanceof CheckpointMoved) return this.lostLead('checkpoint moved under this processor');
      throw e;
    });
    if (!this.leads) return;
    this.mayHaveParked = true;
    if (this.checkpoint) this.checkpoint = { ...this.checkpoint, position: to };
    this.deps.logger.error(
      {
        processor: this.name,
        eventId: event.eventId,
        aggregateId: event.aggregateId,
        position: event.position.toString(),
        correlationId: event.metadata?.correlationId,
        err: reason,
      },
      'processor parked an event it cannot apply; its aggregate waits behind it, the rest goes on',
    );
    this.hooks.parked?.(event);
    this.hooks.committed?.(to, undefined);
  }

  /** The effect first; the checkpoint moves only once it has succeeded. */
  private async effectThenMove(handler: AfterEffectHandler, from: bigint, page: LogPage): Promise<boolean> {
    if (page.events.length > 0) await this.traced(from, page, () => handler.apply(page.events));
    if (!(await moveCheckpoint(this.deps.prisma, this.name, from, page.scannedTo))) {
      await this.lostLead('checkpoint moved under this processor');
      return false;
    }
    if (this.checkpoint) this.checkpoint = { ...this.checkpoint, position: page.scannedTo };
    this.hooks.committed?.(page.scannedTo, undefined);
    return page.events.length > 0;
  }

  /**
   * A step failed (the database or the effect's destination is away): wait, longer after each failure in a row,
   * and try the same batch again. Nothing is skipped, and the rest of the process goes on meanwhile.
   */
  private async backOff(error: unknown): Promise<void> {
    const { retryMs, maxRetryMs } = this.options;
    this.failures++;
    this.hooks.state?.('RETRYING');
    const message = error instanceof Error ? error.message : String(error);
    if (this.handler.kind === 'after-effect') {
      await recordError(this.deps.prisma, this.name, message).catch(() => undefined);
    }
    this.deps.logger.warn({ processor: this.name, err: error, failures: this.failures }, `${this.name}: retrying`);
    await this.loop.delay(Math.min(maxRetryMs, retryMs * 2 ** Math.min(this.failures - 1, 10)), false);
  }

  private async lostLead(why: string): Promise<void> {
    this.checkpoint = undefined;
    this.deps.logger.warn({ processor: this.name }, `${why}; not leading`);
    await this.deps.leadership.release(this.name);
    this.hooks.state?.('FOLLOWING');
  }

  /** Marks the processor FAILED with `reason` (and the event to blame, if one is): it stays stopped until retried. */
  async fail(reason: unknown, event?: StoredEvent): Promise<void> {
    this.checkpoint = undefined;
    const metadata = event?.metadata;
    this.deps.logger.error(
      {
        processor: this.name,
        eventId: event?.eventId ?? null,
        correlationId: metadata?.correlationId,
        causationId: metadata?.causationId,
        err: reason,
      },
      'processor failed on an event; it stays stopped until retried',
    );
    await markFailed(
      this.deps.prisma,
      this.name,
      reason instanceof Error ? reason.message : String(reason),
      event?.eventId ?? null,
    );
    this.hooks.failed?.();
  }
}
