import type { EventStore, StoredEvent } from '../eventstore';
import { emptyAggregate, foldOnto, type Aggregate, type DomainEvent, type Loaded } from './aggregate';

export type LoadedAggregate<S> = {
  loaded: Loaded<S>;
  /** The version of the snapshot the fold started from (0: folded from the start). */
  baseVersion: number;
  /** Every event this load read, in version order. */
  read: StoredEvent[];
};

/**
 * Loads an aggregate: its latest snapshot, if it was taken for this aggregate type and state shape and lies at or
 * below `toVersion`, and then only the events after it. `readFrom` also reads (but does not fold twice) events
 * from that version on, for callers that need them even when the snapshot already covers them.
 */
export async function loadAggregate<S, E extends DomainEvent>(
  store: EventStore,
  aggregate: Aggregate<S, E>,
  aggregateId: string,
  options: { toVersion?: number; readFrom?: number } = {},
): Promise<LoadedAggregate<S>> {
  const { snapshot, events: read } = await store.loadStream(
    aggregateId,
    { aggregateType: aggregate.type, snapshotVersion: aggregate.snapshotVersion },
    options,
  );
  // A snapshot holds the aggregate's state alone, in the shape its snapshotVersion names.
  const base: Loaded<S> = snapshot
    ? { state: snapshot.state as S, version: snapshot.version }
    : emptyAggregate(aggregate);
  const after = read.filter((e) => e.version > base.version);
  return { loaded: foldOnto(aggregate, base, after), baseVersion: base.version, read };
}
