import type { Pool } from 'pg';
import { append } from './append';
import { logHead, readLog } from './log-reader';
import { findProcessedCommand } from './processed-commands';
import { readStream, type StreamRange } from './read-stream';
import { loadSnapshot, saveSnapshot, type NewSnapshot } from './snapshots';
import type { AppendRequest, EventFilter } from './types';
import type { WakeUps } from './wakeups';

export { DuplicateCommand, MAX_EVENTS_PER_APPEND } from './append';
export type { LogPage } from './log-reader';
export type { StreamRange } from './read-stream';
export type { NewSnapshot, Snapshot } from './snapshots';
export * from './types';
export { CHECKPOINTS_CHANNEL, EVENTS_CHANNEL, Notifier, type WakeUps } from './wakeups';

export type EventStore = ReturnType<typeof createEventStore>;

/** The event store's one face: appends wake readers; reads are gap-safe. */
export function createEventStore(pool: Pool, wakeUps: WakeUps) {
  return {
    async append(request: AppendRequest) {
      const result = await append(pool, request);
      wakeUps.poke();
      return result;
    },
    readStream: (aggregateId: string, range?: StreamRange) => readStream(pool, aggregateId, range),
    readLog: (after: bigint, limit: number, filter?: EventFilter) => readLog(pool, after, limit, filter),
    logHead: () => logHead(pool),
    findProcessedCommand: (commandId: string) => findProcessedCommand(pool, commandId),
    loadSnapshot: (aggregateId: string) => loadSnapshot(pool, aggregateId),
    saveSnapshot: (snapshot: NewSnapshot) => saveSnapshot(pool, snapshot),
    onAppended: (fn: () => void) => wakeUps.onWake(fn),
  };
}
