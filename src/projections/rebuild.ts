import type { Pool } from 'pg';
import type { PrismaClient } from '../db/prisma';
import type { Logger } from 'pino';
import type { EventStore } from '../eventstore';
import { pageWithinBytes } from '../eventstore/event-size';
import { isTransient } from '../db/sql-errors';
import { CheckpointMoved, commitBatch, inBatchTransaction, type Statements } from '../log/commit';
import { ident } from './table-columns';
import {
  completeRebuild,
  markRebuilding,
  readCheckpoint,
  recordRebuildProgress,
  requestRebuildAgain,
} from '../log/checkpoints';
import { clearRebuildParked, heldError, park, skippedEvents, swapInRebuildParked, type Parking } from '../log/parked';
import type { StoredEvent } from '../eventstore';
import type { CheckpointRow, Projector } from './types';

const SUFFIX = '__rebuild';

export const shadowName = (table: string) => `${table}${SUFFIX}`;

/** Fresh, empty copies of a projector's tables (same columns, defaults, indexes) to rebuild into. */
// Unsafe only in name: DDL takes no parameters, and the names are the projector's own tables, quoted.
export async function createShadowTables(prisma: PrismaClient, projector: Projector): Promise<void> {
  await prisma.$transaction(async (tx) => {
    for (const table of projector.tables) {
      await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS ${ident(shadowName(table))}`);
      await tx.$executeRawUnsafe(`CREATE TABLE ${ident(shadowName(table))} (LIKE ${ident(table)} INCLUDING ALL)`);
    }
  });
}

export async function dropShadowTables(prisma: PrismaClient, projector: Projector): Promise<void> {
  for (const table of projector.tables)
    await prisma.$executeRawUnsafe(`DROP TABLE IF EXISTS ${ident(shadowName(table))}`);
}

/**
 * Puts the rebuilt tables in place of the live ones inside the caller's transaction, so readers see either the
 * old tables or the new ones, never a mix. Readers are blocked only for the moment the renames take.
 */
export async function swapInShadowTables(client: Statements, projector: Projector): Promise<void> {
  const live = projector.tables.map(ident).join(', ');
  await client.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
  for (const table of projector.tables) {
    await client.query(`DROP TABLE ${ident(table)}`);
    await client.query(`ALTER TABLE ${ident(shadowName(table))} RENAME TO ${ident(table)}`);
  }
}

/** What a rebuild needs of the processor that runs it. */
export type RebuildHost = {
  projector: Projector;
  prisma: PrismaClient;
  /** Pipelined connections for the batch transactions. */
  batchPool: Pool;
  store: EventStore;
  logger: Logger;
  batchSize: number;
  batchBytes: number;
  /** False once the processor stops or loses the lead: the rebuild gives up. */
  mayGoOn(): boolean;
  /** The processor is stopping: the fresh tables are dropped on the way out. */
  stopping(): boolean;
  /** Applies the live tables' next batch, so reads (and read-your-writes) do not stall for the rebuild. */
  catchUpLive(from: bigint): Promise<unknown>;
  /** Marks the projector FAILED with this error. */
  fail(reason: unknown): Promise<void>;
  /** PROJECTION_ON_ERROR: an event the new code cannot apply is parked (and the rebuild goes on), or fails it. */
  onError?: 'park' | 'stop';
  parked?(event: StoredEvent): void;
  progress?(events: number, position: bigint): void;
};

/**
 * Builds fresh tables from the start of the log while the live ones keep serving (and keep being updated), then
 * swaps them in and moves the checkpoint to where the rebuild got, in one transaction. Resolves with that
 * position once swapped; undefined when it gave up (stopped, lost the lead) or the new code FAILED on the log.
 */
export async function rebuildProjector(host: RebuildHost, checkpoint: CheckpointRow): Promise<bigint | undefined> {
  const { projector, prisma, store, logger } = host;
  const name = projector.name;
  logger.info({ projector: name, from: checkpoint.version, to: projector.version }, 'rebuilding projector');
  await createShadowTables(prisma, projector);
  await clearRebuildParked(prisma, name);
  // From here on operators cannot skip (see resolveParked): the skipped events read below are all there will be.
  await markRebuilding(prisma, name);
  let position = 0n;
  let events = 0;
  const shadow = (t: string) => (projector.tables.includes(t) ? shadowName(t) : t);
  // The rebuild alone writes its parked rows, from the start of the log: what it parked is known here.
  const heads = new Map<string, string>();
  // What an operator skipped, the rebuild drops too.
  const skipped = await skippedEvents(prisma, name);
  // The progress goes out right behind the projector's last writes, and COMMIT behind it.
  const commit = (batch: readonly StoredEvent[], to: bigint, count: number, failed?: Parking) =>
    commitBatch(host.batchPool, {
      apply: async (client) => {
        const tx = { client, table: shadow };
        const held: Parking[] = failed ? [failed] : [];
        const free: StoredEvent[] = [];
        for (const event of failed ? [] : batch) {
          if (skipped.has(event.eventId)) continue;
          const head = heads.get(event.aggregateId);
          if (head === undefined) free.push(event);
          else held.push({ event, error: heldError(head), heldBehind: head });
        }
        const effect = await projector.apply(free, tx);
        return { write: () => Promise.all([effect.write(tx), park(client, name, true, held)]), result: undefined };
      },
      close: (client) => recordRebuildProgress(client, name, to, count),
    });
  try {
    for (;;) {
      if (!host.mayGoOn()) return undefined;
      const page = pageWithinBytes(
        await store.readLog(position, host.batchSize, { eventTypes: projector.eventTypes }),
        host.batchBytes,
      );
      if (page.events.length === 0) {
        const live = await readCheckpoint(prisma, name);
        if (live && live.position <= page.scannedTo) {
          await swap(host, live.position, page.scannedTo);
          logger.info({ projector: name, events }, 'rebuild complete; new tables swapped in');
          return page.scannedTo;
        }
      }
      try {
        await commit(page.events, page.scannedTo, events + page.events.length);
      } catch (error) {
        if (isTransient(error)) throw error;
        if (host.onError === 'stop') {
          // The new code fails on the log: keep serving the old tables, record the failure, and rebuild again once
          // an operator retries.
          await host.fail(error);
          await requestRebuildAgain(prisma, name, projector.version);
          await dropShadowTables(prisma, projector);
          await clearRebuildParked(prisma, name);
          return undefined;
        }
        // One event at a time, to park the one at fault (and hold its aggregate's later ones) as a live batch does.
        let count = events;
        for (const event of page.events) {
          count++;
          try {
            await commit([event], event.position, count);
          } catch (failure) {
            if (isTransient(failure)) throw failure;
            const message = failure instanceof Error ? failure.message : String(failure);
            await commit([], event.position, count, { event, error: message, heldBehind: null });
            heads.set(event.aggregateId, event.eventId);
            logger.error(
              { projector: name, eventId: event.eventId, err: failure },
              'rebuild parked an event it cannot apply; its aggregate waits behind it, the rest goes on',
            );
            host.parked?.(event);
          }
        }
      }
      events += page.events.length;
      position = page.scannedTo;
      host.progress?.(events, position);
      const live = await readCheckpoint(prisma, name);
      if (live && live.status !== 'FAILED') await host.catchUpLive(live.position);
    }
  } finally {
    if (host.stopping()) {
      await dropShadowTables(prisma, projector).catch(() => undefined);
      await clearRebuildParked(prisma, name).catch(() => undefined);
    }
  }
}

async function swap(host: RebuildHost, livePosition: bigint, position: bigint): Promise<void> {
  const { projector } = host;
  await inBatchTransaction(host.batchPool, async (client) => {
    await swapInShadowTables(client, projector);
    await swapInRebuildParked(client, projector.name);
    const completed = await completeRebuild(client, projector.name, {
      livePosition,
      position,
      version: projector.version,
    });
    if (!completed) throw new CheckpointMoved();
  });
}
