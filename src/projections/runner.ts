import type { ClientConfig, Pool } from 'pg';
import type { PrismaClient } from '../db/prisma';
import type { Logger } from 'pino';
import type { EventStore, WakeUps } from '../eventstore';
import type { Tracing } from '../observability/tracing';
import { clearFailure, readCheckpoints, requestRebuild } from '../log/checkpoints';
import { ProjectionProgress } from '../log/fence';
import { Leadership } from '../log/leadership';
import type { Processor } from '../log/processor';
import type { LogWindow } from '../log/tailer';
import { projectorProcessor, type ProjectionOptions } from './projector-processor';
import type { CheckpointRow, Projector, ReadModel } from './types';
import { WrittenRows } from './written-rows';
import { readParked, type ParkedRow } from '../log/parked';
import { resolveParked, type Resolution } from './parked-events';

export type RunnerDeps = {
  prisma: PrismaClient;
  /** Pipelined connections for the projectors' batch transactions (see log/commit.ts). */
  batchPool: Pool;
  store: EventStore;
  /** The process's live log reader, started before the runner: projectors near the head take their events there. */
  window?: LogWindow;
  /** Sent by every committed batch, heard by every instance (read-your-writes waits on it). */
  checkpoints: WakeUps;
  connection: ClientConfig;
  logger: Logger;
  /** Each projector's live batches are spans (see Processor). */
  tracing?: Tracing;
  projectors: readonly Projector[];
  options: ProjectionOptions;
  /** After each committed live batch: how long its transaction took (metrics). */
  batchDone?(projector: string, seconds: number): void;
  /** A projector (live or rebuilding) parked an event it cannot apply (metrics). */
  parked?(projector: string): void;
};

export type ProjectionReport = CheckpointRow & { lag: number; leader: boolean };

/**
 * Runs every registered projector in this process (each only while this process leads it), and answers the
 * questions the API asks of the read side: how far is each projector, and has it passed a given position yet
 * (ProjectionProgress), and what did it just write (WrittenRows).
 */
export class ProjectionRunner {
  private readonly processors: Processor[];
  private readonly leadership: Leadership;
  /**
   * How far this process's projectors have applied the log: what reads wait on (read-your-writes) and what the
   * read-model feed pushes behind.
   */
  readonly fence: ProjectionProgress;
  private readonly written = new WrittenRows();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: RunnerDeps) {
    this.leadership = new Leadership(deps.connection, deps.logger);
    this.fence = new ProjectionProgress(deps.prisma, deps.projectors, (name) => this.leadership.holds(name));
    this.processors = deps.projectors.map((projector) => {
      const { name } = projector;
      return projectorProcessor(
        projector,
        {
          prisma: deps.prisma,
          batchPool: deps.batchPool,
          store: deps.store,
          window: deps.window,
          leadership: this.leadership,
          logger: deps.logger,
          tracing: deps.tracing,
          checkpoints: deps.checkpoints,
          options: deps.options,
        },
        {
          committed: (position, changes) => {
            this.written.remember(name, changes);
            this.fence.advanced(name, position);
          },
          leading: () => this.written.forget(name),
          batchDone: deps.batchDone && ((seconds) => deps.batchDone!(name, seconds)),
          parked: () => deps.parked?.(name),
          failed: () => {
            this.fence.markFailed(name);
            // Other instances re-read the checkpoints when poked while their reads wait for it.
            deps.checkpoints.poke();
          },
        },
      );
    });
  }

  get projectorNames(): string[] {
    return this.deps.projectors.map((p) => p.name);
  }

  async start(): Promise<void> {
    await this.fence.refresh();
    // Another instance's commit may be what a waiting read needs (each processor looks again by itself).
    this.unsubscribe.push(this.deps.checkpoints.onWake(() => void this.fence.refreshIfWaiting()));
    for (const worker of this.processors) worker.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    await Promise.all(this.processors.map((w) => w.stop()));
    await this.leadership.close();
    this.fence.wakeAll();
  }

  /**
   * The latest row of `model` with this id that a projector in this process wrote, if it still remembers it and
   * still leads that projector: the row as committed, so the read-model feed can push it without reading it
   * back. Otherwise undefined: read the table.
   */
  writtenRow<Row>(model: ReadModel<Row>, id: string): Row | undefined {
    return this.written.get(model, id, (projector) => this.leadership.holds(projector));
  }

  async report(): Promise<ProjectionReport[]> {
    const [rows, head] = await Promise.all([readCheckpoints(this.deps.prisma), this.deps.store.logHead()]);
    const known = new Set(this.projectorNames);
    return Promise.all(
      rows
        .filter((r) => known.has(r.name))
        .map(async (row) => ({ ...row, lag: await this.lag(row, head), leader: this.leadership.holds(row.name) })),
    );
  }

  /** When the first event of the projector's types after `after` was appended; null when there is none yet. */
  async oldestPendingAt(name: string, after: bigint): Promise<Date | null> {
    const projector = this.deps.projectors.find((p) => p.name === name);
    if (!projector) return null;
    const page = await this.deps.store.readLog(after, 1, { eventTypes: projector.eventTypes });
    return page.events[0]?.timestamp ?? null;
  }

  async retry(name: string): Promise<boolean> {
    const cleared = await clearFailure(this.deps.prisma, name);
    if (cleared) this.fence.retried(name);
    this.processors.forEach((w) => w.refresh());
    return cleared;
  }

  /** The events a projector has parked (and held behind them), in log order. */
  parked(name: string): Promise<ParkedRow[]> {
    return readParked(this.deps.prisma, name);
  }

  /** An operator's retry or skip of a parked event (see resolveParked); the projector looks at its holds again. */
  async resolveParked(name: string, eventId: string, how: Resolution): Promise<void> {
    const projector = this.deps.projectors.find((p) => p.name === name)!;
    await resolveParked({ batchPool: this.deps.batchPool, store: this.deps.store, projector }, eventId, how);
    this.processors.forEach((w) => w.refresh());
  }

  async rebuild(name: string): Promise<boolean> {
    const requested = await requestRebuild(this.deps.prisma, name);
    this.processors.forEach((w) => w.refresh());
    return requested;
  }

  /** Events of the projector's types between its checkpoint and the head of the log. */
  private async lag(row: CheckpointRow, head: bigint): Promise<number> {
    if (row.position >= head) return 0;
    const projector = this.deps.projectors.find((p) => p.name === row.name)!;
    return this.deps.store.countEvents(row.position, head, projector.eventTypes);
  }
}
