import type { z } from 'zod';
import type { StoredEvent } from '../eventstore/types';
import type { EventSchemas } from '../eventstore/upcasting';

/** A domain event as a fold reads it: the event, and the stream, place and time its envelope records. */
export type Recorded<E> = E & Pick<StoredEvent, 'aggregateId' | 'version' | 'timestamp'>;

/** Each event type's payload schema (at the type's current schema version), by event type. */
export type PayloadSchemas = Readonly<Record<string, z.ZodType>>;

/** The events the schemas describe, as a discriminated union: `{ type: 'A'; data: payload of A } | …`. */
export type EventsOf<P extends PayloadSchemas> = {
  [T in keyof P & string]: { type: T; data: z.output<P[T]> };
}[keyof P & string];

/** A long list of what is wrong with one payload (say, every price of a large order) says no more than its start. */
const ISSUES_SHOWN = 3;

/**
 * An aggregate's decoder: a stored envelope, already upcast by the store, as its typed domain event. What the types
 * do not describe (an unknown type, a payload of another shape, a schema version upcasting should have raised)
 * stops the fold there with an error naming the event, instead of becoming a state or a row nobody can explain.
 */
export function eventDecoder<P extends PayloadSchemas>(
  aggregateType: string,
  payloads: P,
  versions: EventSchemas,
): (envelope: StoredEvent) => Recorded<EventsOf<P>> {
  return (envelope) => {
    const { eventId, eventType, schemaVersion, aggregateId, version, timestamp } = envelope;
    const refuse = (problem: string) =>
      new Error(
        `Cannot decode event ${eventId} (${eventType} of ${envelope.aggregateType} ${aggregateId}): ${problem}`,
      );
    if (envelope.aggregateType !== aggregateType) throw refuse(`its aggregate type is not ${aggregateType}`);
    const schema = Object.hasOwn(payloads, eventType) ? payloads[eventType] : undefined;
    if (!schema) throw refuse(`no ${aggregateType} event has this type`);
    const current = versions[eventType]?.version ?? 1;
    if (schemaVersion !== current) {
      const why = schemaVersion < current ? 'it was not upcast' : 'it is newer than this service knows';
      throw refuse(`its schema version is ${schemaVersion}, not the current ${current}: ${why}`);
    }
    const parsed = schema.safeParse(envelope.payload);
    if (!parsed.success) throw refuse(`its payload does not match the schema: ${describe(parsed.error.issues)}`);
    // The schema looked up by this event's type made `data`: the pair is one member of the union.
    return { type: eventType, data: parsed.data, aggregateId, version, timestamp } as Recorded<EventsOf<P>>;
  };
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, ISSUES_SHOWN).map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}

/** `payload.items[2].unitPrice`, as the path would be written in code. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}.${String(key)}`),
    'payload',
  );
}
