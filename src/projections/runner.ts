import type { ClientConfig, Pool } from 'pg';
import type { Logger } from 'pino';
import type { EventStore, WakeUps } from '../eventstore';
import { clearFailure, readCheckpoints, requestRebuild } from './checkpoints';
import { Leadership } from './leadership';
import type { CheckpointRow, Projector, ReadModelChange } from './types';
import { ProjectorWorker, type WorkerOptions } from './worker';

export type RunnerDeps = {
  pool: Pool;
  /** Pipelined connections for the projectors' batch transactions (see ProjectorWorker.commitBatch). */
  batchPool: Pool;
  store: EventStore;
  /** Pokes after every committed batch, heard by every instance (read-your-writes waits on it). */
  checkpoints: WakeUps;
  connection: ClientConfig;
  logger: Logger;
  projectors: readonly Projector[];
  options: WorkerOptions;
};

export type ProjectionReport = CheckpointRow & { lag: number; leader: boolean };

/** Rows written by this process's live batches, kept for read-your-writes (they are wanted within milliseconds). */
const WRITTEN_ROWS = 10_000;

/** How stale this process's knowledge that a projector FAILED may be before a wait re-reads the checkpoints. */
const FAILED_RECHECK_MS = 1000;

/** How a wait for the projectors ended. */
export type WaitOutcome = {
  /** Every projector asked about that has not FAILED has passed the position. */
  reached: boolean;
  /** The projectors asked about that have FAILED: nobody waits for them (they stay stopped until retried). */
  failed: string[];
};

/**
 * Runs every registered projector in this process (each only while this process leads it), and answers the
 * questions the API asks of the read side: how far is each projector, and has it passed a given position yet.
 */
export class ProjectionRunner {
  private readonly workers: ProjectorWorker[];
  private readonly leadership: Leadership;
  private readonly positions = new Map<string, bigint>();
  private readonly failed = new Set<string>();
  private failedCheckedAt = 0;
  private readonly waiters = new Set<() => void>();
  private readonly written = new Map<string, { projector: string; row: unknown }>();
  private refreshing: Promise<void> | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: RunnerDeps) {
    this.leadership = new Leadership(deps.connection, deps.logger);
    this.workers = deps.projectors.map(
      (projector) =>
        new ProjectorWorker(projector, {
          pool: deps.pool,
          batchPool: deps.batchPool,
          store: deps.store,
          leadership: this.leadership,
          logger: deps.logger,
          options: deps.options,
          committed: (name, position, changes) => {
            this.remember(name, changes);
            this.advance(name, position);
            deps.checkpoints.poke();
          },
          leading: (name) => this.forget(name),
          failed: (name) => {
            this.failed.add(name);
            for (const wake of [...this.waiters]) wake();
            // Other instances re-read the checkpoints when poked while their mutations wait.
            deps.checkpoints.poke();
          },
        }),
    );
  }

  get projectorNames(): string[] {
    return this.deps.projectors.map((p) => p.name);
  }

  async start(): Promise<void> {
    await this.refreshPositions();
    this.unsubscribe.push(this.deps.store.onAppended(() => this.workers.forEach((w) => w.poke())));
    this.unsubscribe.push(
      this.deps.checkpoints.onWake(() => {
        // A projector's commit also moves the log readers' horizon: events appended while its transaction was
        // open become readable only now, and no append will announce them again.
        this.workers.forEach((w) => w.poke());
        void this.refreshIfWaiting();
      }),
    );
    for (const worker of this.workers) worker.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.leadership.close();
    for (const wake of this.waiters) wake();
  }

  /**
   * Waits until every projector that reads any of `eventTypes` has processed the log up to `position` (wherever
   * it runs), or has FAILED: a failed projector stays stopped until an operator retries it, so waiting for it
   * would only stall every command for the whole timeout. Gives up after `timeoutMs` (reached: false).
   */
  async waitFor(position: bigint, eventTypes: readonly string[], timeoutMs: number): Promise<WaitOutcome> {
    const names = this.deps.projectors
      .filter((p) => p.eventTypes.some((t) => eventTypes.includes(t)))
      .map((p) => p.name);
    // Another instance may have retried a projector this process still believes FAILED.
    if (names.some((n) => this.failed.has(n)) && Date.now() - this.failedCheckedAt > FAILED_RECHECK_MS) {
      await this.refreshPositions();
    }
    const outcome = (): WaitOutcome | undefined => {
      const failed = names.filter((n) => this.failed.has(n));
      const reached = names.every((n) => this.failed.has(n) || (this.positions.get(n) ?? -1n) >= position);
      return reached ? { reached, failed } : undefined;
    };
    const deadline = Date.now() + timeoutMs;
    for (let done = outcome(); ; done = outcome()) {
      if (done) return done;
      const left = deadline - Date.now();
      if (left <= 0) return { reached: false, failed: names.filter((n) => this.failed.has(n)) };
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => wake(false), Math.min(left, 100));
        const waiters = this.waiters;
        function wake(woke = true) {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(woke);
        }
        waiters.add(wake);
      });
      // No wake-up for a while (another instance leads and a NOTIFY was missed): look at the table itself.
      if (!woken && !outcome() && !names.every((n) => this.leadership.holds(n))) await this.refreshPositions();
    }
  }

  /**
   * The latest row of `model` with this id that a projector in this process wrote, if it still remembers it and
   * still leads that projector (so nobody else has written the row since): the row as committed, so a mutation
   * can answer with it instead of reading it back. Otherwise undefined: read the table.
   */
  writtenRow(model: string, id: string): unknown {
    const entry = this.written.get(`${model}:${id}`);
    return entry && this.leadership.holds(entry.projector) ? entry.row : undefined;
  }

  async report(): Promise<ProjectionReport[]> {
    const [rows, head] = await Promise.all([readCheckpoints(this.deps.pool), this.deps.store.logHead()]);
    const known = new Set(this.projectorNames);
    return Promise.all(
      rows
        .filter((r) => known.has(r.name))
        .map(async (row) => ({ ...row, lag: await this.lag(row, head), leader: this.leadership.holds(row.name) })),
    );
  }

  async retry(name: string): Promise<boolean> {
    const cleared = await clearFailure(this.deps.pool, name);
    if (cleared) this.failed.delete(name);
    this.workers.forEach((w) => w.refresh());
    return cleared;
  }

  async rebuild(name: string): Promise<boolean> {
    const requested = await requestRebuild(this.deps.pool, name);
    this.workers.forEach((w) => w.refresh());
    return requested;
  }

  /** Events of the projector's types between its checkpoint and the head of the log. */
  private async lag(row: CheckpointRow, head: bigint): Promise<number> {
    if (row.position >= head) return 0;
    const projector = this.deps.projectors.find((p) => p.name === row.name)!;
    const { rows } = await this.deps.pool.query<{ n: string }>({
      name: 'projection-lag',
      text: 'SELECT count(*) AS n FROM events WHERE position > $1 AND position <= $2 AND event_type = ANY($3)',
      values: [row.position.toString(), head.toString(), projector.eventTypes],
    });
    return Number(rows[0]!.n);
  }

  private remember(projector: string, changes: readonly ReadModelChange[]): void {
    for (const { model, id, row } of changes) {
      const key = `${model}:${id}`;
      this.written.delete(key);
      this.written.set(key, { projector, row });
    }
    for (const key of this.written.keys()) {
      if (this.written.size <= WRITTEN_ROWS) break;
      this.written.delete(key);
    }
  }

  /** Rows written before this process (re)gained a projector's lead may have been overwritten elsewhere since. */
  private forget(projector: string): void {
    for (const [key, entry] of this.written) if (entry.projector === projector) this.written.delete(key);
  }

  private advance(name: string, position: bigint): void {
    // A batch committed: the projector runs (again).
    this.failed.delete(name);
    if ((this.positions.get(name) ?? -1n) < position) this.positions.set(name, position);
    for (const wake of [...this.waiters]) wake();
  }

  /** A checkpoint moved somewhere: only another instance's projectors need the table to tell how far. */
  private async refreshIfWaiting(): Promise<void> {
    const remote = this.deps.projectors.some((p) => !this.leadership.holds(p.name));
    if (this.waiters.size > 0 && remote) await this.refreshPositions().catch(() => undefined);
  }

  /** One read of the checkpoints serves every waiter that asks while it is under way. */
  private refreshPositions(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const checkedAt = Date.now();
        for (const row of await readCheckpoints(this.deps.pool)) {
          this.positions.set(row.name, row.position);
          if (row.status === 'FAILED') this.failed.add(row.name);
          else this.failed.delete(row.name);
        }
        this.failedCheckedAt = checkedAt;
      } finally {
        this.refreshing = undefined;
      }
      for (const wake of [...this.waiters]) wake();
    })();
    return this.refreshing;
  }
}
