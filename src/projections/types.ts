import type { PoolClient } from 'pg';
import type { StoredEvent } from '../eventstore/types';

/**
 * A read model's name, typed with its row: the key under which a projector reports its rows and readers ask for
 * them, so the row's type travels with it from projector to API and subscriptions without a cast at either end.
 */
export type ReadModel<Row> = { readonly name: string; readonly row?: Row };

export function readModel<Row>(name: string): ReadModel<Row> {
  return { name };
}

/** What a projector's batch hands back: the rows it changed, which the runner keeps for subscribers. */
export type ReadModelChange<Row = unknown> = { model: ReadModel<Row>; id: string; row: Row };

/** The transaction a projector writes through, and the real names of its tables (a rebuild uses shadow tables). */
export type ProjectionTx = {
  client: PoolClient;
  table(name: string): string;
  /**
   * Hands over the batch's last statements, already issued (e.g. `tx.finish(writeRows(tx, ...))`): the
   * transaction's COMMIT may then go out right behind them, in the same write, rather than a round trip after
   * they answer. Nothing may be sent through `client` after this. Resolves or rejects as `writes` does (a failed
   * write fails the batch: the transaction then ends in a rollback, whatever was sent behind it).
   */
  finish<T>(writes: Promise<T>): Promise<T>;
};

/**
 * A projector turns events into query tables. `apply` must only write through `tx`: the runner commits those
 * writes together with the projector's checkpoint, so each event's effect lands exactly once.
 */
export type Projector = {
  name: string;
  /** Bump it when the projector's logic or tables change: the tables are rebuilt from the log on start. */
  version: number;
  /** The event types it reads; the others are skipped without being loaded. */
  eventTypes: readonly string[];
  /** The tables it owns and alone writes; a rebuild builds fresh copies of these and swaps them in. */
  tables: readonly string[];
  apply(events: readonly StoredEvent[], tx: ProjectionTx): Promise<ReadModelChange[]>;
};

export const PROJECTION_STATUSES = ['RUNNING', 'FAILED', 'REBUILDING'] as const;
export type ProjectionStatus = (typeof PROJECTION_STATUSES)[number];

export type CheckpointRow = {
  name: string;
  version: number;
  position: bigint;
  status: ProjectionStatus;
  lastError: string | null;
  failedEventId: string | null;
  rebuildRequestedAt: Date | null;
  rebuildEvents: bigint | null;
  updatedAt: Date;
};

/**
 * The process's live reader of the log (the subscriptions' tailer): its latest events in memory, read once for
 * everything in the process that follows the head. See ProjectorWorker.liveBatch.
 */
export type RecentLog = {
  /** Every event at or below it has been read. */
  readonly head: bigint;
  /** Up to `max` events after `position`, in log order; undefined when the window no longer reaches back to it. */
  eventsAfter(position: bigint, max: number): readonly StoredEvent[] | undefined;
  /** Called after each page the reader takes in. */
  listen(listener: () => void): { close(): void };
};
