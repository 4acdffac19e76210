import type { Pool } from 'pg';
import type { PrismaClient } from '../db/prisma';
import { tracedAppend } from './append';
import { AppendQueue } from './group-commit';
import { forgetSubject } from './erasure';
import { countEvents, logHead, readLog } from './log-reader';
import { findProcessedCommand } from './processed-commands';
import { readEvents } from './read-events';
import { ownerOf, ownsStream, readStream, type StreamRange } from './read-stream';
import type { PersonalData } from './personal-data';
import {
  encode,
  loadSnapshot,
  loadStream,
  revive,
  saveSnapshot,
  type NewSnapshot,
  type SnapshotFit,
} from './snapshots';
import { TRACING_OFF, type Tracing } from '../observability/tracing';
import type { AppendRequest, EventFilter, StoredEvent } from './types';
import { upcasting, type EventSchemas } from './upcasting';
import type { Wake, WakeUps } from './wakeups';

export { MAX_EVENTS_PER_APPEND } from './append';
export { DuplicateCommand } from './refusal';
export type { StreamRange } from './read-stream';
export type { LoadedStream, NewSnapshot, Snapshot, SnapshotFit } from './snapshots';
export * from './types';
export type { EventSchemas, Upcaster } from './upcasting';
export { DataKeys } from './data-keys';
export { resolveMasterKeys, type MasterKeys } from './master-keys';
export { PersonalData, type PersonalFields } from './personal-data';
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
   * `personalData`: personal fields are sealed on append and revealed on every read, snapshots sealed whole
   * (without it, as in tests of the store alone, payloads are stored as given).
   */
  hooks: {
    appended?(eventTypes: readonly string[]): void;
    tracing?: Tracing;
    onQuery?(sql: string): void;
    personalData?: PersonalData;
  } = {},
) {
  const { currentVersion, upcast } = upcasting(schemas);
  const queue = new AppendQueue(prisma, wakeUps);
  const personal = hooks.personalData;
  // Every read passes here: the stored form (sealed, at its schema version) becomes what readers fold.
  const reveal = async (events: StoredEvent[]) => (personal ? await personal.reveal(events) : events).map(upcast);
  return {
    async append(request: AppendRequest) {
      const plain = request.events.map((e) => ({
        ...e,
        schemaVersion: e.schemaVersion ?? currentVersion(e.eventType),
      }));
      // A stream with no owner is its own subject.
      const events = personal ? await personal.seal(plain, request.ownerId ?? request.aggregateId) : plain;
      // Appends that arrive while one is under way go together in the next statement (group-commit.ts), which
      // carries its own NOTIFY when none of this process's is under way.
      const result = await tracedAppend({ ...request, events }, hooks.tracing ?? TRACING_OFF, (traced) =>
        queue.append(traced),
      );
      hooks.appended?.(events.map((e) => e.eventType));
      // The command folds what it appended: the stored envelopes, revealed as the next load will reveal them.
      return { ...result, events: await reveal(result.events) };
    },
    readStream: async (aggregateId: string, range?: StreamRange) => reveal(await readStream(pool, aggregateId, range)),
    /** Whether a customer owns the aggregate (its latest event's owner): the command side's check before a load. */
    ownsStream: (aggregateId: string, ownerId: string) => ownsStream(prisma, aggregateId, ownerId),
    readEvents: async (eventIds: readonly string[], ownerId?: string) =>
      reveal(await readEvents(prisma, eventIds, ownerId)),
    readLog: async (after: bigint, limit: number, filter?: EventFilter) => {
      const page = await readLog(pool, after, limit, filter, hooks.onQuery);
      return { ...page, events: await reveal(page.events) };
    },
    logHead: () => logHead(prisma),
    countEvents: (after: bigint, upTo: bigint, eventTypes?: readonly string[]) =>
      countEvents(prisma, after, upTo, eventTypes),
    findProcessedCommand: (scope: string, commandId: string) => findProcessedCommand(prisma, scope, commandId),
    loadSnapshot: async (aggregateId: string) => {
      const snapshot = await loadSnapshot(prisma, aggregateId);
      if (!snapshot || !personal) return snapshot;
      const opened = await personal.openState(snapshot.state, aggregateId);
      return opened && { ...snapshot, state: revive(opened.state) };
    },
    /** The latest fitting snapshot and the events after it, upcast, in one round trip (a command's load). */
    loadStream: async (aggregateId: string, fit: SnapshotFit, range?: { toVersion?: number; readFrom?: number }) => {
      let loaded = await loadStream(pool, aggregateId, fit, range);
      if (loaded.snapshot && personal) {
        const opened = await personal.openState(loaded.snapshot.state, aggregateId);
        if (opened) loaded = { ...loaded, snapshot: { ...loaded.snapshot, state: revive(opened.state) } };
        // Sealed under a key since deleted: no snapshot version matches -1, so the stream is read from its start.
        else loaded = await loadStream(pool, aggregateId, { ...fit, snapshotVersion: -1 }, range);
      }
      return { ...loaded, events: await reveal(loaded.events) };
    },
    saveSnapshot: async (snapshot: NewSnapshot) => {
      if (!personal) return saveSnapshot(prisma, snapshot);
      const subject = (await ownerOf(prisma, snapshot.aggregateId)) ?? snapshot.aggregateId;
      const tagged: unknown = JSON.parse(encode(snapshot.state));
      return saveSnapshot(prisma, {
        ...snapshot,
        state: await personal.sealState(tagged, subject, snapshot.aggregateId),
      });
    },
    onAppended: (fn: (wake: Wake) => void) => wakeUps.onWake(fn),
    /** Events read earlier and kept (the live window's), with the erasures made since honoured. */
    honourErasures: async (events: StoredEvent[]) => (personal ? personal.honourErasures(events) : events),
    /** Erases a customer's personal data wherever the store holds it (erasure.ts): what forgetCustomer runs. */
    forgetSubject: async (subjectId: string) => {
      if (!personal) throw new Error('this event store seals no personal data, so it cannot forget any');
      await forgetSubject(prisma, personal, subjectId);
    },
  };
}
