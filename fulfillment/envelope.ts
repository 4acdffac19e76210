import { z } from 'zod';

/**
 * The event envelope as orderstream publishes it on the bus (docs/api.md, "The event bus"): the same fields as the
 * GraphQL `Event`, position as a string, the payload without its personal fields. Checked field by field on
 * arrival: a message that does not match is refused for good (it would not match on redelivery either), never
 * half-processed. `personalDataOmitted` is not read: an OrderPaid has no personal field, and shipping needs none.
 */
export const envelopeSchema = z.object({
  eventId: z.uuid(),
  eventType: z.string().min(1),
  aggregateId: z.string().min(1),
  aggregateType: z.string().min(1),
  version: z.number().int().min(1),
  position: z.string().regex(/^\d{1,19}$/),
  timestamp: z.iso.datetime({ offset: true }),
  schemaVersion: z.number().int().min(1),
  payload: z.record(z.string(), z.unknown()),
  metadata: z.object({
    correlationId: z.string().min(1),
    causationId: z.string().min(1),
    userId: z.string().nullable(),
  }),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/** An `Order.OrderPaid` envelope: the one event this service reacts to. */
export type OrderPaid = Envelope & { eventType: 'OrderPaid'; aggregateType: 'Order' };

export type Parsed = { ok: true; event: OrderPaid } | { ok: false; reason: string; eventId?: string };

export function parseOrderPaid(body: Uint8Array): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const eventId = (json as { eventId?: unknown } | null)?.eventId;
    return {
      ok: false,
      reason: `the body is not an event envelope: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      eventId: typeof eventId === 'string' ? eventId : undefined,
    };
  }
  const event = parsed.data;
  if (event.aggregateType !== 'Order' || event.eventType !== 'OrderPaid') {
    return {
      ok: false,
      reason: `${event.aggregateType}.${event.eventType} is not Order.OrderPaid`,
      eventId: event.eventId,
    };
  }
  return { ok: true, event: event as OrderPaid };
}
