import type { Pool } from 'pg';
import type { PrismaClient } from '../db/prisma';
import { tracedAppend } from './append';
import { AppendQueue } from './group-commit';
import { countEvents, logHead, readLog } from './log-reader';
import { findProcessedCommand } from './processed-commands';
import { readEvents } from './read-events';
import { ownsStream, readStream, type StreamRange } from './read-stream';
import { loadSnapshot, loadStream, saveSnapshot, type NewSnapshot, type SnapshotFit } from './snapshots';
import { TRACING_OFF, type Tracing } from '../observability/tracing';
import type { AppendRequest, EventFilter } from './types';
import { upcasting, type EventSchemas } from './upcasting';
import type { Wake, WakeUps } from './wakeups';

export { DuplicateCommand, MAX_EVENTS_PER_APPEND } from './append';
export type { StreamRange } from './read-stream';
export type { LoadedStream, NewSnapshot, Snapshot, SnapshotFit } from './snapshots';
export * from './types';
export type { EventSchemas, Upcaster } from './upcasting';
export {
  CHECKPOINTS_CHANNEL,
  EVENTS_CHANNEL,
  Notifier,
  type Carry,
  type OutgoingWake,
  type Wake,
  type WakeUps,
} from './wakeups';

export type EventStore = ReturnType<typeof createEventStore>;

/**
 * The event store's one face: appends wake readers; reads are gap-safe. Events are written in their current
 * schema version and read in it whatever version they were stored in (`schemas`: every slice's), so everything
 * that reads the log through here (aggregates, projectors, the API, the live feed) sees one shape per event type.
 */
export function createEventStore(
  prisma: PrismaClient,
  /** The pool under `prisma`: the log reader's and the stream reads' (see readLog, readStream, loadStream). */
  pool: Pool,
  wakeUps: WakeUps,
  schemas: EventSchemas = {},
  /**
   * `appended`: after each committed append, with its events' types (metrics; the store names no metrics library).
   * `tracing`: each append is a span, whose context the events' metadata records.
   * `onQuery`: sees the SQL of every log read (sent with `pg`, so Prisma's query log has not got them).
   */
  hooks: { appended?(eventTypes: readonly string[]): void; tracing?: Tracing; onQuery?(sql: string): void } = {},
) {
  const { currentVersion, upcast } = upcasting(schemas);
  const queue = new AppendQueue(prisma, wakeUps);
  return {
    async append(request: AppendRequest) {
      const events = request.events.map((e) => ({
        ...e,
        schemaVersion: e.schemaVersion ?? currentVersion(e.eventType),
      }));
      // Appends that arrive while one is under way go together in the next statement (group-commit.ts), which
      // carries its own NOTIFY when none of this process's is under way.
      const result = await tracedAppend({ ...request, events }, hooks.tracing ?? TRACING_OFF, (traced) =>
        queue.append(traced),
      );
      hooks.appended?.(events.map((e) => e.eventType));
      return result;
    },
    readStream: async (aggregateId: string, range?: StreamRange) =>
      (await readStream(pool, aggregateId, range)).map(upcast),
    /** Whether a customer owns the aggregate (its latest event's owner): the command side's check before a load. */
    ownsStream: (aggregateId: string, ownerId: string) => ownsStream(prisma, aggregateId, ownerId),
    readEvents: async (eventIds: readonly string[], ownerId?: string) =>
      (await readEvents(prisma, eventIds, ownerId)).map(upcast),
    readLog: async (after: bigint, limit: number, filter?: EventFilter) => {
      const page = await readLog(pool, after, limit, filter, hooks.onQuery);
      return { ...page, events: page.events.map(upcast) };
    },
    logHead: () => logHead(prisma),
    countEvents: (after: bigint, upTo: bigint, eventTypes?: readonly string[]) =>
      countEvents(prisma, after, upTo, eventTypes),
    findProcessedCommand: (scope: string, commandId: string) => findProcessedCommand(prisma, scope, commandId),
    loadSnapshot: (aggregateId: string) => loadSnapshot(prisma, aggregateId),
    /** The latest fitting snapshot and the events after it, upcast, in one round trip (a command's load). */
    loadStream: async (aggregateId: string, fit: SnapshotFit, range?: { toVersion?: number; readFrom?: number }) => {
      const loaded = await loadStream(pool, aggregateId, fit, range);
      return { ...loaded, events: loaded.events.map(upcast) };
    },
    saveSnapshot: (snapshot: NewSnapshot) => saveSnapshot(prisma, snapshot),
    onAppended: (fn: (wake: Wake) => void) => wakeUps.onWake(fn),
  };
}
