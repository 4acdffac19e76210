import type { StoredEvent } from '../eventstore/types';
import type { Statements } from '../log/commit';

export { PROJECTION_STATUSES, type CheckpointRow, type ProjectionStatus } from '../log/checkpoints';

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

/** The transaction a projector reads and writes through, and the real names of its tables (a rebuild uses shadow tables). */
export type ProjectionTx = { client: Statements; table(name: string): string };

/**
 * A batch folded: the rows it changed (kept for subscribers) and the statements that store them. `write` sends
 * every statement before it returns; how and when the batch commits is not the projector's concern.
 */
export type ProjectedBatch<Row = unknown> = {
  changes: ReadModelChange<Row>[];
  write(tx: ProjectionTx): Promise<unknown>;
};

/** Nothing to write. */
export const NO_CHANGES: ProjectedBatch<never> = { changes: [], write: () => Promise.resolve() };

/**
 * A projector turns events into query tables: `apply` reads what the batch needs through `tx` and folds the
 * events, and says what to write. The processor commits those writes together with the projector's checkpoint,
 * so each event's effect lands exactly once.
 */
export type Projector = {
  name: string;
  /** Bump it when the projector's logic or tables change: the tables are rebuilt from the log on start. */
  version: number;
  /** The event types it reads; the others are skipped without being loaded. */
  eventTypes: readonly string[];
  /** The tables it owns and alone writes; a rebuild builds fresh copies of these and swaps them in. */
  tables: readonly string[];
  apply(events: readonly StoredEvent[], tx: ProjectionTx): Promise<ProjectedBatch>;
};
