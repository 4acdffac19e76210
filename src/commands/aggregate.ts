import type { StoredEvent } from '../eventstore';

/** What the command side needs to know of an aggregate: its type and how its events fold into state. */
export type Aggregate<S, E extends { type: string; data: unknown }> = {
  type: string;
  initial: S;
  evolve(state: S, event: E): S;
};

export type Loaded<S> = { state: S; version: number; events: StoredEvent[] };

/** The domain event inside an envelope. Upcasting of older schema versions belongs here, on every read path. */
export function toDomainEvent<E extends { type: string; data: unknown }>(event: StoredEvent): E {
  return { type: event.eventType, data: event.payload } as E;
}

/** Folds stored events into state; events of another aggregate type are not this aggregate's. */
export function fold<S, E extends { type: string; data: unknown }>(
  aggregate: Aggregate<S, E>,
  events: StoredEvent[],
): Loaded<S> {
  if (events.length > 0 && events[0]!.aggregateType !== aggregate.type) {
    return { state: aggregate.initial, version: 0, events: [] };
  }
  const state = events.reduce((s, e) => aggregate.evolve(s, toDomainEvent<E>(e)), aggregate.initial);
  return { state, version: events.at(-1)?.version ?? 0, events };
}
