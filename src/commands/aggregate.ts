import type { StoredEvent } from '../eventstore';
import type { Recorded } from '../commands/event-decoder';

export type DomainEvent = { type: string; data: unknown };

/**
 * What the command side needs to know of an aggregate: its type, how its stored events decode and how they fold
 * into its state. The state is also what a command answers with (ids, versions and timestamps included), so one
 * fold serves the decider, the result and the snapshots, and a result never needs the whole stream.
 */
export type Aggregate<S, E extends DomainEvent> = {
  type: string;
  /**
   * The shape version of the state snapshots store for this aggregate. Bump it whenever the state changes shape or
   * meaning: older snapshots are then ignored and the stream is folded from the start.
   */
  snapshotVersion: number;
  initial: S;
  /** The slice's decoder: a stored envelope (upcast by the store) as a checked domain event. */
  decode(envelope: StoredEvent): Recorded<E>;
  evolve(state: S, event: Recorded<E>): S;
  /**
   * The customer whose data the aggregate is, given its state before a command and the events it decided (so a
   * creating command knows it too): recorded with every event, it scopes a customer's reads of the log.
   */
  ownerOf(aggregateId: string, state: S, decided: readonly E[]): string | null;
};

/** An aggregate's state as of `version` (0: no stream). */
export type Loaded<S> = { state: S; version: number };

export function emptyAggregate<S, E extends DomainEvent>(aggregate: Aggregate<S, E>): Loaded<S> {
  return { state: aggregate.initial, version: 0 };
}

/**
 * Folds stored events (in version order, following `base.version`) onto a loaded state. A stream that starts with
 * events of another aggregate type is not this aggregate's: it loads as no stream.
 */
export function foldOnto<S, E extends DomainEvent>(
  aggregate: Aggregate<S, E>,
  base: Loaded<S>,
  events: readonly StoredEvent[],
): Loaded<S> {
  if (events.length > 0 && events[0]!.aggregateType !== aggregate.type) return emptyAggregate(aggregate);
  let state = base.state;
  for (const envelope of events) state = aggregate.evolve(state, aggregate.decode(envelope));
  return { state, version: events.at(-1)?.version ?? base.version };
}

/** Folds a whole stream from the aggregate's initial state. */
export function fold<S, E extends DomainEvent>(aggregate: Aggregate<S, E>, events: readonly StoredEvent[]): Loaded<S> {
  return foldOnto(aggregate, emptyAggregate(aggregate), events);
}
