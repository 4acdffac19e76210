import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma';
import type { EventStore, StoredEvent, WakeUps } from '../eventstore';
import type { Statements } from '../log/commit';
import type { Leadership } from '../log/leadership';
import { Processor } from '../log/processor';
import type { LogWindow } from '../log/tailer';
import { ATTR_PROJECTOR } from '../observability/attributes';
import type { Tracing } from '../observability/tracing';
import { rebuildProjector } from './rebuild';
import type { Projector, ReadModelChange } from './types';

export type ProjectionOptions = {
  batchSize: number;
  rebuildBatchSize: number;
  /**
   * The most a batch holds, as JSON (live and rebuild alike): events are bounded in size only by the input limits,
   * and a batch's rows are written as one JSON document, which a page of thousands of large orders would take past
   * memory and V8's longest string.
   */
  batchBytes: number;
  /** How long an idle projector sleeps before looking again if no wake-up came. */
  pollMs: number;
  /** Test seam: runs inside a batch's transaction after the projector's writes and the checkpoint, before commit. */
  beforeCommit?: (projector: string, tx: Statements) => Promise<void>;
  /** PROJECTION_ON_ERROR: park an event a projector cannot apply and go on (default), or stop FAILED before it. */
  onError?: 'park' | 'stop';
};

export type ProjectorDeps = {
  prisma: PrismaClient;
  /** Pipelined connections: every batch transaction runs on one of these. */
  batchPool: Pool;
  store: EventStore;
  window?: LogWindow;
  leadership: Leadership;
  logger: Logger;
  tracing?: Tracing;
  checkpoints?: WakeUps;
  options: ProjectionOptions;
};

export type ProjectorHooks = {
  committed(position: bigint, changes: readonly ReadModelChange[]): void;
  leading?(): void;
  failed?(): void;
  parked?(event: StoredEvent): void;
  batchDone?(seconds: number): void;
  rebuildProgress?(events: number, position: bigint): void;
};

/**
 * A projector as a processor: its batches write through the transaction that moves its checkpoint, and a version
 * bump or an operator's request rebuilds its tables from the log (while the live ones keep serving) before the
 * next batch.
 */
export function projectorProcessor(
  projector: Projector,
  deps: ProjectorDeps,
  hooks: ProjectorHooks,
): Processor<readonly ReadModelChange[]> {
  const { options } = deps;
  const beforeCommit = options.beforeCommit;
  const processor: Processor<readonly ReadModelChange[]> = new Processor<readonly ReadModelChange[]>(
    {
      kind: 'in-transaction',
      apply: async (events, client) => {
        const tx = { client, table: (t: string) => t };
        const batch = await projector.apply(events, tx);
        return { write: () => batch.write(tx), result: batch.changes };
      },
    },
    {
      name: projector.name,
      version: projector.version,
      eventTypes: projector.eventTypes,
      batchSize: options.batchSize,
      maxBatchSize: options.rebuildBatchSize,
      batchBytes: options.batchBytes,
      pollMs: options.pollMs,
      retryMs: 1000,
      maxRetryMs: 1000,
      span: () => ({ name: `project ${projector.name}`, spec: { attributes: { [ATTR_PROJECTOR]: projector.name } } }),
      beforeCommit: beforeCommit && ((tx) => beforeCommit(projector.name, tx)),
      onError: options.onError,
    },
    deps,
    {
      leading: hooks.leading,
      failed: hooks.failed,
      parked: hooks.parked,
      batchDone: hooks.batchDone,
      committed: (position, changes) => hooks.committed(position, changes ?? []),
      beforeBatch: async (checkpoint) => {
        const outdated = checkpoint.version !== projector.version;
        // A FAILED projector waits for an operator's retry; new code (a version bump) gets its rebuild regardless.
        if (checkpoint.status === 'FAILED' && !outdated) return false;
        if (!outdated && checkpoint.rebuildRequestedAt === null) return undefined;
        const swappedAt = await rebuildProjector(
          {
            projector,
            prisma: deps.prisma,
            batchPool: deps.batchPool,
            store: deps.store,
            logger: deps.logger,
            batchSize: options.rebuildBatchSize,
            batchBytes: options.batchBytes,
            mayGoOn: () => !processor.stopping && processor.leads,
            stopping: () => processor.stopping,
            catchUpLive: (from) => processor.batch(from),
            fail: (reason) => processor.fail(reason),
            onError: options.onError,
            parked: hooks.parked,
            progress: hooks.rebuildProgress,
          },
          checkpoint,
        );
        if (swappedAt !== undefined) {
          processor.refresh();
          hooks.committed(swappedAt, []);
        }
        return true;
      },
    },
  );
  return processor;
}
