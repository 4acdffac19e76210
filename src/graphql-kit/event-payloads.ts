import type { StoredEvent } from '../eventstore/types';

/** A slice's event decoder: a stored envelope (upcast) as `{ type, data }`, its payload checked against its type. */
type Decoder<E extends { type: string; data: unknown }> = (envelope: StoredEvent) => E;

/**
 * The typed fields of an event's object type (`OrderPlaced.totalAmount`, …) read its payload as the slice's decoder
 * makes it, so an event stored in an older shape shows its current one. An `events` page holds up to 1,000 events
 * with several typed fields each, and a live event goes to every subscriber, so each event object is decoded once:
 * the decoded payload is kept with the object (a stored event is never changed), for as long as it lives. Kept per
 * operation instead, each subscription would hold its own copy of every event in the live window it had read.
 */
export function eventPayloads<E extends { type: string; data: unknown }>(decode: Decoder<E>) {
  const decoded = new WeakMap<StoredEvent, E>();
  const decodedOnce = (event: StoredEvent): E => {
    let found = decoded.get(event);
    if (found === undefined) {
      found = decode(event);
      decoded.set(event, found);
    }
    return found;
  };
  /** The payload of an event of type `type` (the object type the schema resolved the event to by its eventType). */
  return <T extends E['type']>(type: T) =>
    (event: StoredEvent): Extract<E, { type: T }>['data'] => {
      const found = decodedOnce(event);
      if (found.type !== type) throw new Error(`Event ${event.eventId} is ${found.type}, not ${type}`);
      return (found as Extract<E, { type: T }>).data;
    };
}
