import type { EventStore, StoredEvent } from '../eventstore';
import { emptyAggregate, foldOnto, type Aggregate, type DomainEvent, type Loaded } from './aggregate';

/** What a snapshot of an aggregate holds (see `Aggregate` for why the view is in it). */
export type SnapshotState<S, V> = { state: S; view: V | null };

export type LoadedAggregate<S, V> = {
  loaded: Loaded<S, V>;
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
export async function loadAggregate<S, E extends DomainEvent, V>(
  store: EventStore,
  aggregate: Aggregate<S, E, V>,
  aggregateId: string,
  options: { toVersion?: number; readFrom?: number } = {},
): Promise<LoadedAggregate<S, V>> {
  const snapshot = await store.loadSnapshot(aggregateId);
  const usable =
    snapshot !== undefined &&
    snapshot.aggregateType === aggregate.type &&
    snapshot.snapshotVersion === aggregate.snapshotVersion &&
    snapshot.version <= (options.toVersion ?? Infinity);
  const base: Loaded<S, V> = usable
    ? { ...(snapshot.state as SnapshotState<S, V>), version: snapshot.version }
    : emptyAggregate(aggregate);
  const fromVersion = Math.min(base.version + 1, options.readFrom ?? Infinity);
  const read = await store.readStream(aggregateId, { fromVersion, toVersion: options.toVersion });
  const after = read.filter((e) => e.version > base.version);
  return { loaded: foldOnto(aggregate, base, after), baseVersion: base.version, read };
}
