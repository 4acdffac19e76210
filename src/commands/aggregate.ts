import type { StoredEvent } from '../eventstore';

export type DomainEvent = { type: string; data: unknown };

/**
 * What the command side needs to know of an aggregate: its type, how its events fold into state and, optionally,
 * how its envelopes fold into the view a command returns to clients.
 *
 * Why the view is here: a command's result shows the aggregate as clients read it (ids, versions, timestamps that
 * the pure domain state does not keep), and with snapshots the handler no longer reads the whole stream to build
 * it. So the handler folds the view alongside the state, one envelope at a time, and snapshots store both
 * (`{ state, view }`): the result is exact after reading only the events past the snapshot, and `decide`/`evolve`
 * stay pure functions of domain events.
 */
export type Aggregate<S, E extends DomainEvent, V = never> = {
  type: string;
  /**
   * The shape version of what snapshots store for this aggregate (its state and view). Bump it whenever either
   * changes shape or meaning: older snapshots are then ignored and the stream is folded from the start.
   */
  snapshotVersion: number;
  initial: S;
  evolve(state: S, event: E): S;
  /** One step of the view fold; null while the aggregate does not exist. */
  view?(view: V | null, envelope: StoredEvent): V | null;
};

/** An aggregate's state and view as of `version` (0: no stream). */
export type Loaded<S, V = never> = { state: S; view: V | null; version: number };

/** The domain event inside an envelope. Upcasting of older schema versions belongs here, on every read path. */
export function toDomainEvent<E extends DomainEvent>(event: StoredEvent): E {
  return { type: event.eventType, data: event.payload } as E;
}

export function emptyAggregate<S, E extends DomainEvent, V>(aggregate: Aggregate<S, E, V>): Loaded<S, V> {
  return { state: aggregate.initial, view: null, version: 0 };
}

/**
 * Folds stored events (in version order, following `base.version`) onto a loaded state. A stream that starts with
 * events of another aggregate type is not this aggregate's: it loads as no stream.
 */
export function foldOnto<S, E extends DomainEvent, V>(
  aggregate: Aggregate<S, E, V>,
  base: Loaded<S, V>,
  events: readonly StoredEvent[],
): Loaded<S, V> {
  if (events.length > 0 && events[0]!.aggregateType !== aggregate.type) return emptyAggregate(aggregate);
  let { state, view } = base;
  for (const envelope of events) {
    state = aggregate.evolve(state, toDomainEvent<E>(envelope));
    if (aggregate.view) view = aggregate.view(view, envelope);
  }
  return { state, view, version: events.at(-1)?.version ?? base.version };
}

/** Folds a whole stream from the aggregate's initial state. */
export function fold<S, E extends DomainEvent, V>(
  aggregate: Aggregate<S, E, V>,
  events: readonly StoredEvent[],
): Loaded<S, V> {
  return foldOnto(aggregate, emptyAggregate(aggregate), events);
}
