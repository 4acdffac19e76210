import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { EventStore, LogPage } from '../eventstore';
import {
  advanceCheckpoint,
  ensureCheckpoint,
  markFailed,
  readCheckpoint,
} from './checkpoints';
import type { Leadership } from './leadership';
import { createShadowTables, dropShadowTables, shadowName, swapInShadowTables } from './rebuild';
import type { CheckpointRow, Projector, ReadModelChange } from './types';

export type WorkerOptions = {
  batchSize: number;
  rebuildBatchSize: number;
  /** How long an idle worker sleeps before looking again if no wake-up came. */
  pollMs: number;
  /** Test seam: runs inside a batch's transaction after the projector's writes and the checkpoint, before commit. */
  beforeCommit?: (projector: string, client: PoolClient) => Promise<void>;
};

export type WorkerDeps = {
  pool: Pool;
  /** Pipelined connections: every batch transaction runs on one of these. */
  batchPool: Pool;
  store: EventStore;
  leadership: Leadership;
  logger: Logger;
  options: WorkerOptions;
  /** After a batch committed: the new checkpoint and what changed. */
  committed(projector: string, position: bigint, changes: ReadModelChange[]): void;
  /** This process has just become the projector's leader (another may have written its tables meanwhile). */
  leading?(projector: string): void;
  /** The projector has just been marked FAILED (it stays stopped until an operator retries it). */
  failed?(projector: string): void;
  rebuildProgress?(projector: string, events: number, position: bigint): void;
};

const CHECKPOINT_REFRESH_MS = 1000;

/** Errors that say nothing about the projector's logic: the connection or the server went away. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (typeof code === 'string') return code.startsWith('08') || code.startsWith('57P') || code === '40001' || code === '40P01';
  return /Connection terminated|connection is closed|ECONNRESET|ECONNREFUSED|Client has encountered a connection error/i.test(
    String((error as Error).message ?? error),
  );
}

class ProjectorFailed extends Error {
  constructor(
    readonly eventId: string | null,
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/**
 * Runs one projector while this process leads it: reads the log after the checkpoint with the gap-safe reader and
 * applies each batch and its checkpoint in one transaction. A projector that throws on an event is FAILED with the
 * event's id, its checkpoint just before that event; nothing else stops.
 */
export class ProjectorWorker {
  private stopped = false;
  private checkpoint: CheckpointRow | undefined;
  private checkedAt = 0;
  private refreshRequested = false;
  private wake: (() => void) | undefined;
  private woken = false;
  private running: Promise<void> | undefined;

  constructor(
    readonly projector: Projector,
    private readonly deps: WorkerDeps,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  poke(): void {
    this.woken = true;
    this.wake?.();
  }

  /** An operator changed the checkpoint row (retry, rebuild): look at it on the next step. */
  refresh(): void {
    this.refreshRequested = true;
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.running;
    await this.deps.leadership.release(this.projector.name);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let progressed = false;
      try {
        progressed = await this.step();
      } catch (error) {
        if (this.stopped) return;
        this.deps.logger.warn({ projector: this.projector.name, error: (error as Error).message }, 'projector step failed; retrying');
        await this.sleep(1000);
        continue;
      }
      if (!progressed) await this.sleep(this.deps.options.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        this.woken = false;
        done();
      };
    });
  }

  /** One unit of work; false when there was nothing to do. */
  private async step(): Promise<boolean> {
    const { leadership, pool } = this.deps;
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
      this.checkpoint = await ensureCheckpoint(pool, name, this.projector.version);
      this.checkedAt = Date.now();
    } else if (this.refreshRequested || Date.now() - this.checkedAt > CHECKPOINT_REFRESH_MS) {
      this.refreshRequested = false;
      this.checkpoint = await readCheckpoint(pool, name);
      this.checkedAt = Date.now();
      if (!this.checkpoint) return false;
    }
    const checkpoint = this.checkpoint;
    const outdated = checkpoint.version !== this.projector.version;
    // A FAILED projector waits for an operator's retry; new code (a version bump) gets its rebuild regardless.
    if (checkpoint.status === 'FAILED' && !outdated) return false;
    if (outdated || checkpoint.rebuildRequestedAt !== null) {
      await this.rebuild(checkpoint);
      return true;
    }
    return this.liveBatch(checkpoint.position);
  }

  private async liveBatch(from: bigint): Promise<boolean> {
    const page = await this.deps.store.readLog(from, this.deps.options.batchSize, { eventTypes: this.projector.eventTypes });
    if (page.events.length === 0 && page.scannedTo <= from) return false;
    try {
      await this.commitBatch(from, page);
    } catch (error) {
      if (!(error instanceof ProjectorFailed)) throw error;
      await this.fail(error);
    }
    return page.events.length > 0;
  }

  /** Applies a page and moves the checkpoint in one transaction; a batch that throws is retried event by event. */
  private async commitBatch(from: bigint, page: LogPage): Promise<void> {
    const to = page.scannedTo;
    try {
      await this.transaction(async (client) => {
        // The checkpoint moves first, on the wire together with BEGIN and the projector's first read (one round
        // trip on the pipelined connection). Both are settled before anything else is sent, so the ROLLBACK a
        // moved checkpoint leads to cannot overtake one of the projector's writes.
        const [advanced, applied] = await Promise.allSettled([
          advanceCheckpoint(client, this.projector.name, from, to),
          this.projector.apply(page.events, { client, table: (t) => t }),
        ]);
        if (advanced.status === 'rejected') throw advanced.reason;
        if (applied.status === 'rejected') throw applied.reason;
        if (!advanced.value) throw new CheckpointMoved();
        await this.deps.options.beforeCommit?.(this.projector.name, client);
        return applied.value;
      }).then((changes) => {
        if (this.checkpoint) this.checkpoint = { ...this.checkpoint, position: to };
        this.deps.committed(this.projector.name, to, changes);
      });
    } catch (error) {
      if (error instanceof CheckpointMoved) {
        this.checkpoint = undefined;
        this.deps.logger.warn({ projector: this.projector.name }, 'checkpoint moved under this worker; not leading');
        await this.deps.leadership.release(this.projector.name);
        return;
      }
      if (isTransient(error)) throw error;
      if (page.events.length <= 1) throw new ProjectorFailed(page.events[0]?.eventId ?? null, error);
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
    this.deps.logger.error(
      { projector: this.projector.name, eventId: error.eventId, err: error.reason },
      'projector failed on an event; it stays stopped until retried',
    );
    await markFailed(this.deps.pool, this.projector.name, error.message, error.eventId);
    this.deps.failed?.(this.projector.name);
  }

  /** On a pipelined connection: BEGIN goes out with the first statements of `fn`, not a round trip before them. */
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.deps.batchPool.connect();
    let broken = false;
    // A checked-out client that loses its connection emits 'error'; unheard, that would crash the process. The
    // query in flight fails too, and that is where the worker handles it.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      const begun = client.query('BEGIN');
      // Its failure (the connection) fails every statement after it too; it is awaited below, not lost.
      begun.catch(() => undefined);
      const result = await fn(client);
      await begun;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isTransient(error);
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * Builds fresh tables from the start of the log while the live ones keep serving (and keep being updated),
   * then swaps them in and moves the checkpoint to where the rebuild got, in one transaction.
   */
  private async rebuild(checkpoint: CheckpointRow): Promise<void> {
    const { pool, store, logger, options } = this.deps;
    const name = this.projector.name;
    logger.info({ projector: name, from: checkpoint.version, to: this.projector.version }, 'rebuilding projector');
    await createShadowTables(pool, this.projector);
    await pool.query(
      `UPDATE projection_checkpoints SET status = 'REBUILDING', rebuild_position = 0, rebuild_events = 0 WHERE name = $1`,
      [name],
    );
    let position = 0n;
    let events = 0;
    const shadow = (t: string) => (this.projector.tables.includes(t) ? shadowName(t) : t);
    try {
      for (;;) {
        if (this.stopped || !this.deps.leadership.holds(name)) return;
        const page = await store.readLog(position, options.rebuildBatchSize, { eventTypes: this.projector.eventTypes });
        if (page.events.length === 0) {
          const live = await readCheckpoint(pool, name);
          if (live && live.position <= page.scannedTo) {
            await this.swap(live.position, page.scannedTo, events);
            return;
          }
        }
        try {
          await this.transaction(async (client) => {
            await this.projector.apply(page.events, { client, table: shadow });
            await client.query(
              'UPDATE projection_checkpoints SET rebuild_position = $2, rebuild_events = $3 WHERE name = $1',
              [name, page.scannedTo.toString(), events + page.events.length],
            );
          });
        } catch (error) {
          if (isTransient(error)) throw error;
          // The new code fails on the log: keep serving the old tables, record the failure, and rebuild again
          // once an operator retries.
          await this.fail(new ProjectorFailed(null, error));
          await pool.query(
            `UPDATE projection_checkpoints SET version = $2, rebuild_requested_at = now() WHERE name = $1`,
            [name, this.projector.version],
          );
          await dropShadowTables(pool, this.projector);
          return;
        }
        events += page.events.length;
        position = page.scannedTo;
        this.deps.rebuildProgress?.(name, events, position);
        // Keep the live tables current meanwhile, so reads (and read-your-writes) do not stall for the rebuild.
        const live = await readCheckpoint(pool, name);
        if (live && live.status !== 'FAILED') await this.liveBatch(live.position);
      }
    } finally {
      if (this.stopped) await dropShadowTables(pool, this.projector).catch(() => undefined);
    }
  }

  private async swap(livePosition: bigint, position: bigint, events: number): Promise<void> {
    const name = this.projector.name;
    await this.transaction(async (client) => {
      await swapInShadowTables(client, this.projector);
      const { rowCount } = await client.query(
        `UPDATE projection_checkpoints SET position = $3, version = $4, status = 'RUNNING', last_error = NULL,
           failed_event_id = NULL, rebuild_requested_at = NULL, rebuild_position = NULL, rebuild_events = NULL,
           updated_at = now()
         WHERE name = $1 AND position = $2`,
        [name, livePosition.toString(), position.toString(), this.projector.version],
      );
      if (rowCount !== 1) throw new CheckpointMoved();
    });
    this.checkpoint = undefined;
    this.deps.logger.info({ projector: name, events }, 'rebuild complete; new tables swapped in');
    this.deps.committed(name, position, []);
  }
}

class CheckpointMoved extends Error {}
