import type { Pool, PoolClient } from 'pg';
import type { PrismaClient } from '../db/prisma';
import type { Logger } from 'pino';
import type { EventStore, LogPage, StoredEvent } from '../eventstore';
import { ConsumerLoop } from '../eventstore/consumer-loop';
import { pageWithinBytes } from '../eventstore/event-size';
import { isTransient } from '../db/sql-errors';
import { ATTR_EVENT_COUNT, ATTR_POSITION_FROM, ATTR_POSITION_TO, ATTR_PROJECTOR } from '../observability/attributes';
import { TRACING_OFF, type Tracing } from '../observability/tracing';
import { inBatchTransaction } from './batch-transaction';
import { advanceCheckpoint, CheckpointMoved, ensureCheckpoint, markFailed, readCheckpoint } from './checkpoints';
import type { Leadership } from './leadership';
import { rebuildProjector, type RebuildHost } from './rebuild';
import type { CheckpointRow, Projector, ReadModelChange, RecentLog } from './types';

export type WorkerOptions = {
  batchSize: number;
  rebuildBatchSize: number;
  /**
   * The most a batch holds, as JSON (live and rebuild alike): events are bounded in size only by the input limits,
   * and a batch's rows are written as one JSON document, which a page of thousands of 150 KB orders would take
   * past memory and V8's longest string.
   */
  batchBytes: number;
  /** How long an idle worker sleeps before looking again if no wake-up came. */
  pollMs: number;
  /** Test seam: runs inside a batch's transaction after the projector's writes and the checkpoint, before commit. */
  beforeCommit?: (projector: string, client: PoolClient) => Promise<void>;
};

export type WorkerDeps = {
  prisma: PrismaClient;
  /** Pipelined connections: every batch transaction runs on one of these. */
  batchPool: Pool;
  store: EventStore;
  /** Where a projector near the head takes its events from, instead of reading the log again. */
  recentLog?: RecentLog;
  leadership: Leadership;
  logger: Logger;
  /** Each live batch is a span, linked to the operations whose events it applies. */
  tracing?: Tracing;
  options: WorkerOptions;
  /**
   * Sent inside every live batch's transaction, on the wire with its checkpoint: the NOTIFY that tells other
   * instances the checkpoint moved goes out at the commit, without a statement or a transaction of its own.
   */
  announce?: { name: string; text: string; values: unknown[] };
  /** After a batch committed: the new checkpoint and what changed. */
  committed(projector: string, position: bigint, changes: ReadModelChange[]): void;
  /** This process has just become the projector's leader (another may have written its tables meanwhile). */
  leading?(projector: string): void;
  /** The projector has just been marked FAILED (it stays stopped until an operator retries it). */
  failed?(projector: string): void;
  rebuildProgress?(projector: string, events: number, position: bigint): void;
  /** After a live batch committed: how long its transaction took. */
  batchDone?(projector: string, seconds: number): void;
};

const CHECKPOINT_REFRESH_MS = 1000;

class ProjectorFailed extends Error {
  readonly eventId: string | null;
  constructor(
    /** The event the projector threw on, when one is to blame. */
    readonly event: StoredEvent | undefined,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.eventId = event?.eventId ?? null;
  }
}

/**
 * Runs one projector while this process leads it: reads the log after the checkpoint with the gap-safe reader and
 * applies each batch and its checkpoint in one transaction. A projector that throws on an event is FAILED with the
 * event's id, its checkpoint just before that event; nothing else stops.
 */
export class ProjectorWorker {
  private checkpoint: CheckpointRow | undefined;
  private checkedAt = 0;
  private refreshRequested = false;
  private readonly loop: ConsumerLoop;
  private readonly eventTypes: ReadonlySet<string>;
  /** How many events the next batch asks for, from the log or the window (see nextReadSize). */
  private readSize: number;

  constructor(
    readonly projector: Projector,
    private readonly deps: WorkerDeps,
  ) {
    this.eventTypes = new Set(projector.eventTypes);
    this.readSize = deps.options.batchSize;
    this.loop = new ConsumerLoop({
      name: `projector ${projector.name}`,
      step: () => this.step(),
      pollMs: deps.options.pollMs,
      retryMs: 1000,
      logger: deps.logger,
    });
  }

  private get stopped(): boolean {
    return this.loop.stopping;
  }

  start(): void {
    this.loop.start();
  }

  poke(): void {
    this.loop.poke();
  }

  /** An operator changed the checkpoint row (retry, rebuild): look at it on the next step. */
  refresh(): void {
    this.refreshRequested = true;
    this.poke();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.deps.leadership.release(this.projector.name);
  }

  /** One unit of work; false when there was nothing to do. */
  private async step(): Promise<boolean> {
    const { leadership, prisma } = this.deps;
    const name = this.projector.name;
    if (!leadership.holds(name)) {
      this.checkpoint = undefined;
      if (!(await leadership.tryAcquire(name))) return false;
      this.deps.logger.info({ projector: name }, 'leading projector');
      this.deps.leading?.(name);
    }
    // While leading, this worker alone moves the checkpoint, so its own copy is current; the row is re-read now
    // and then for what operators change (retry, rebuild requests), at once when asked here.
    if (!this.checkpoint) {
      this.checkpoint = await ensureCheckpoint(prisma, name, this.projector.version);
      this.checkedAt = Date.now();
    } else if (this.refreshRequested || Date.now() - this.checkedAt > CHECKPOINT_REFRESH_MS) {
      this.refreshRequested = false;
      this.checkpoint = await readCheckpoint(prisma, name);
      this.checkedAt = Date.now();
      if (!this.checkpoint) return false;
    }
    const checkpoint = this.checkpoint;
    const outdated = checkpoint.version !== this.projector.version;
    // A FAILED projector waits for an operator's retry; new code (a version bump) gets its rebuild regardless.
    if (checkpoint.status === 'FAILED' && !outdated) return false;
    if (outdated || checkpoint.rebuildRequestedAt !== null) {
      const swappedAt = await rebuildProjector(this.rebuildHost(), checkpoint);
      if (swappedAt !== undefined) {
        this.checkpoint = undefined;
        this.deps.committed(name, swappedAt, []);
      }
      return true;
    }
    return this.liveBatch(checkpoint.position);
  }

  private async liveBatch(from: bigint): Promise<boolean> {
    const size = this.readSize;
    const read = this.fromRecentLog(from, size) ?? (await this.fromLog(from, size));
    this.nextReadSize(read.full);
    const page = pageWithinBytes(read, this.deps.options.batchBytes);
    if (page.events.length === 0 && page.scannedTo <= from) return false;
    try {
      await this.tracedBatch(from, page);
    } catch (error) {
      if (!(error instanceof ProjectorFailed)) throw error;
      await this.fail(error);
    }
    return page.events.length > 0;
  }

  /**
   * The page after `from` read from the log, behind the tailer's window (after a restart, a rebuild, a long stop).
   */
  private async fromLog(from: bigint, size: number): Promise<LogPage & { full: boolean }> {
    const page = await this.deps.store.readLog(from, size, { eventTypes: this.projector.eventTypes });
    return { ...page, full: page.events.length === size };
  }

  /**
   * The page after `from` out of the process's recent log, when its window still reaches back to `from`: every
   * projector this process leads, the live subscriptions and the read-model feed then share one read of each new
   * event (the reader is the same gap-safe one, so the page is what a read of the log would return). Undefined
   * when the window does not reach back that far (catching up after a restart or a rebuild): read the log then.
   * Nothing new there yet means nothing to do: the recent log pokes the workers after each page it takes in.
   */
  private fromRecentLog(from: bigint, size: number): (LogPage & { full: boolean }) | undefined {
    const recent = this.deps.recentLog;
    const events = recent?.eventsAfter(from, size);
    if (!recent || events === undefined) return undefined;
    const full = events.length === size;
    const scannedTo = full ? events.at(-1)!.position : recent.head;
    const types = this.eventTypes;
    return {
      events: events.filter((e) => types.has(e.eventType)),
      scannedTo: scannedTo > from ? scannedTo : from,
      full,
    };
  }

  /**
   * Batches double while there are that many events to take (from the log or the window), up to the rebuild's
   * batch size: a projector behind (catching up after a restart, a burst) commits a transaction per few thousand
   * events rather than per `batchSize`, each batch still within `batchBytes`. A page that was not full means the
   * head is near, and the size falls back to `batchSize`.
   */
  private nextReadSize(full: boolean): void {
    const { batchSize, rebuildBatchSize } = this.deps.options;
    this.readSize = full ? Math.min(this.readSize * 2, Math.max(batchSize, rebuildBatchSize)) : batchSize;
  }

  /**
   * A batch applies the events of many operations at once: its span is a root of its own, with a link to each
   * event's trace context (recorded at its append) rather than a child of any one of them.
   */
  private tracedBatch(from: bigint, page: LogPage): Promise<void> {
    const tracing = this.deps.tracing ?? TRACING_OFF;
    if (!tracing.enabled || page.events.length === 0) return this.commitBatch(from, page);
    const spec = {
      root: true,
      links: tracing.linksTo(page.events.map((e) => e.metadata)),
      attributes: {
        [ATTR_PROJECTOR]: this.projector.name,
        [ATTR_EVENT_COUNT]: page.events.length,
        [ATTR_POSITION_FROM]: from.toString(),
        [ATTR_POSITION_TO]: page.scannedTo.toString(),
      },
    };
    return tracing.span(`project ${this.projector.name}`, spec, () => this.commitBatch(from, page));
  }

  /** Applies a page and moves the checkpoint in one transaction; a batch that throws is retried event by event. */
  private async commitBatch(from: bigint, page: LogPage): Promise<void> {
    const to = page.scannedTo;
    const started = performance.now();
    try {
      await inBatchTransaction(this.deps.batchPool, async (client, commit) => {
        // The checkpoint moves first, on the wire together with BEGIN and the projector's first read (one round
        // trip on the pipelined connection). Both are settled before anything else is sent, so the ROLLBACK a
        // moved checkpoint leads to cannot overtake one of the projector's writes.
        const announce = this.deps.announce;
        const beforeCommit = this.deps.options.beforeCommit;
        const advancing = advanceCheckpoint(client, this.projector.name, from, to);
        // The projector's last writes: COMMIT follows them on the wire once the checkpoint is known to have moved
        // (its answer came back with the first read, before the projector could know what to write).
        const finish = async <W>(writes: Promise<W>): Promise<W> => {
          if (!beforeCommit && (await advancing.catch(() => false))) commit();
          return writes;
        };
        const [advanced, applied, announced] = await Promise.allSettled([
          advancing,
          this.projector.apply(page.events, { client, table: (t) => t, finish }),
          announce && client.query(announce),
        ]);
        if (advanced.status === 'rejected') throw advanced.reason;
        if (announced.status === 'rejected') throw announced.reason;
        if (applied.status === 'rejected') throw applied.reason;
        if (!advanced.value) throw new CheckpointMoved();
        await beforeCommit?.(this.projector.name, client);
        return applied.value;
      }).then((changes) => {
        if (this.checkpoint) this.checkpoint = { ...this.checkpoint, position: to };
        this.deps.committed(this.projector.name, to, changes);
        this.deps.batchDone?.(this.projector.name, (performance.now() - started) / 1000);
      });
    } catch (error) {
      if (error instanceof CheckpointMoved) {
        this.checkpoint = undefined;
        this.deps.logger.warn({ projector: this.projector.name }, 'checkpoint moved under this worker; not leading');
        await this.deps.leadership.release(this.projector.name);
        return;
      }
      if (isTransient(error)) throw error;
      if (page.events.length <= 1) throw new ProjectorFailed(page.events[0], error);
      // Find the event at fault: everything before it is applied, the checkpoint stops just before it.
      let position = from;
      for (const event of page.events) {
        await this.commitBatch(position, { events: [event], scannedTo: event.position });
        position = event.position;
      }
    }
  }

  private async fail(error: ProjectorFailed): Promise<void> {
    this.checkpoint = undefined;
    const metadata = error.event?.metadata;
    this.deps.logger.error(
      {
        projector: this.projector.name,
        eventId: error.eventId,
        correlationId: metadata?.correlationId,
        causationId: metadata?.causationId,
        err: error.reason,
      },
      'projector failed on an event; it stays stopped until retried',
    );
    await markFailed(this.deps.prisma, this.projector.name, error.message, error.eventId);
    this.deps.failed?.(this.projector.name);
  }

  private rebuildHost(): RebuildHost {
    const { prisma, batchPool, store, logger, options, leadership } = this.deps;
    const name = this.projector.name;
    return {
      projector: this.projector,
      prisma,
      batchPool,
      store,
      logger,
      batchSize: options.rebuildBatchSize,
      batchBytes: options.batchBytes,
      mayGoOn: () => !this.stopped && leadership.holds(name),
      stopping: () => this.stopped,
      catchUpLive: (from) => this.liveBatch(from),
      fail: (reason) => this.fail(new ProjectorFailed(undefined, reason)),
      progress: (events, position) => this.deps.rebuildProgress?.(name, events, position),
    };
  }
}
