import type { StoredEvent } from '../eventstore/types';
import type { GraphQLContext } from './context';

/** A slice's event decoder: a stored envelope (upcast) as `{ type, data }`, its payload checked against its type. */
type Decoder<E extends { type: string; data: unknown }> = (envelope: StoredEvent) => E;

/**
 * The typed fields of an event's object type (`OrderPlaced.totalAmount`, …) read its payload as the slice's decoder
 * makes it, so an event stored in an older shape shows its current one. An `events` page holds up to 1,000 events
 * with several typed fields each, so each event is decoded at most once per operation (the cache is keyed by the
 * event object and goes with the operation).
 */
export function eventPayloads<E extends { type: string; data: unknown }>(decode: Decoder<E>) {
  const cache = () => new WeakMap<StoredEvent, E>();
  const decoded = (event: StoredEvent, context: GraphQLContext): E => {
    const seen = context.perRequest(cache);
    let found = seen.get(event);
    if (found === undefined) {
      found = decode(event);
      seen.set(event, found);
    }
    return found;
  };
  /** The payload of an event of type `type` (the object type the schema resolved the event to by its eventType). */
  return <T extends E['type']>(type: T) =>
    (event: StoredEvent, context: GraphQLContext): Extract<E, { type: T }>['data'] => {
      const found = decoded(event, context);
      if (found.type !== type) throw new Error(`Event ${event.eventId} is ${found.type}, not ${type}`);
      return (found as Extract<E, { type: T }>).data;
    };
}
