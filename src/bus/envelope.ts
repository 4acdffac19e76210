import { z } from 'zod';
import type { PersonalFields } from '../eventstore/personal-data';
import type { StoredEvent } from '../eventstore/types';
import { traceContextOf, type TraceContext } from '../observability/tracing';

/** Where an event goes on the bus, and what it carries (docs/api.md, "The event bus"). */
export type BusMessage = {
  /** NATS subject: `orderstream.<aggregateType>.<eventType>`. */
  subject: string;
  /** RabbitMQ routing key: `<aggregateType>.<eventType>`. */
  routingKey: string;
  /** The envelope as JSON. */
  body: Buffer;
  /** The deduplication key: the eventId. */
  id: string;
  /**
   * W3C trace context (`traceparent`, `tracestate`) for the message's headers: the context the event's append
   * recorded, so a consumer's work joins the trace of the operation that caused the event. None for events
   * appended while tracing was off.
   */
  headers: TraceContext | undefined;
};

const busEventSchema = z.object({
  eventId: z.string().min(1),
  eventType: z.string().min(1),
  aggregateId: z.string().min(1),
  aggregateType: z.string().min(1),
  version: z.number().int().positive(),
  // A string on the wire because log positions are 64-bit and JSON numbers lose precision past 2^53.
  position: z
    .string()
    .regex(/^\d{1,19}$/)
    .transform((digits) => BigInt(digits)),
  timestamp: z.iso.datetime({ offset: true }).transform((iso) => new Date(iso)),
  schemaVersion: z.number().int().positive(),
  payload: z.json(),
  // Messages published before the bus left personal data out have none: nothing was omitted from them.
  personalDataOmitted: z.array(z.string()).default([]),
  metadata: z.object({
    correlationId: z.string(),
    causationId: z.string(),
    userId: z.string().nullable(),
  }),
});

/**
 * An event as a consumer of the bus reads it: the stored envelope without what is not served to clients, and
 * without its personal data (`personalDataOmitted` names the payload fields left out).
 */
export type BusEvent = z.output<typeof busEventSchema>;

/**
 * A dot splits subjects and routing keys into tokens, and `*`, `>` and `#` are wildcards in the patterns consumers
 * bind with: a name holding one would land the event on a subject no one subscribed to.
 */
const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * The message for `event`, its payload without the personal fields its type declares: a consumer that needs them
 * asks the API, which holds them to the role table (and can forget them), while a broker's copies outlive both.
 */
export function busMessage(event: StoredEvent, personalFields: PersonalFields): BusMessage {
  const { aggregateType, eventType } = event;
  if (!TOKEN.test(aggregateType) || !TOKEN.test(eventType)) {
    throw new Error(`Event ${event.eventId} cannot be routed: ${aggregateType}.${eventType} is not two plain tokens`);
  }
  const { payload, omitted } = withoutPersonalData(event.payload, personalFields[eventType] ?? []);
  const envelope = {
    eventId: event.eventId,
    eventType,
    aggregateId: event.aggregateId,
    aggregateType,
    version: event.version,
    position: event.position.toString(),
    timestamp: event.timestamp.toISOString(),
    schemaVersion: event.schemaVersion,
    payload,
    personalDataOmitted: omitted,
    metadata: {
      correlationId: event.metadata.correlationId,
      causationId: event.metadata.causationId,
      userId: event.metadata.userId,
    },
  };
  return {
    subject: `orderstream.${aggregateType}.${eventType}`,
    routingKey: `${aggregateType}.${eventType}`,
    body: Buffer.from(JSON.stringify(envelope)),
    id: event.eventId,
    headers: traceContextOf(event.metadata),
  };
}

/** The payload less `fields`, and which of them it had (an absent optional field is not reported omitted). */
function withoutPersonalData(payload: unknown, fields: readonly string[]): { payload: unknown; omitted: string[] } {
  if (fields.length === 0 || typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { payload, omitted: [] };
  }
  const kept: Record<string, unknown> = { ...payload };
  const omitted = fields.filter((field) => Object.hasOwn(kept, field));
  for (const field of omitted) delete kept[field];
  return { payload: kept, omitted };
}

/** A message body from either broker as the event it carries; throws if it is not one. */
export function parseBusMessage(body: Uint8Array | string): BusEvent {
  return busEventSchema.parse(JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body)));
}
