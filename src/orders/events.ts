import { z } from 'zod';
import type { EventSchemas } from '../eventstore/upcasting';
import { eventDecoder, type EventsOf } from '../commands/event-decoder';
import { moneySchema } from '../shared/money';

export const ORDER = 'Order';

const orderItem = z.object({ productId: z.string(), quantity: z.int().positive(), unitPrice: moneySchema });
export type OrderItem = z.output<typeof orderItem>;

/** Each order event's payload as it is now (ORDER_EVENT_SCHEMAS): the events' types are read off these. */
const ORDER_PAYLOADS = {
  /**
   * Since schema version 2 it carries the order's currency (ISO 4217): every amount of the order is in it. An order
   * placed while ORDER_PAYMENT_WINDOW was set carries that window: it is due to be paid within it from its placing.
   * Optional, so every older OrderPlaced reads as it is (no window), without a new schema version.
   */
  OrderPlaced: z.object({
    customerId: z.string(),
    items: z.array(orderItem),
    totalAmount: moneySchema,
    currency: z.string(),
    paymentWindowMs: z.int().positive().optional(),
  }),
  ItemAdded: z.object({ item: orderItem }),
  OrderPaid: z.object({ amount: moneySchema }),
  OrderShipped: z.object({}),
  // Null once the order's customer is forgotten (the store serves it so).
  OrderCancelled: z.object({ reason: z.string().nullish() }),
};

export type OrderEvent = EventsOf<typeof ORDER_PAYLOADS>;
export type OrderPlaced = Extract<OrderEvent, { type: 'OrderPlaced' }>;

/** Every order event type, in the order of the order's life. */
export const ORDER_EVENT_TYPES = Object.keys(ORDER_PAYLOADS) as readonly OrderEvent['type'][];

/**
 * The currency of every order placed before OrderPlaced carried one (schema version 1): a fact about this
 * service's history, so a constant, not the configurable default (which may change and must not rewrite the past).
 */
export const LEGACY_CURRENCY = 'EUR';

/** A cancellation's reason is free text, typed by the customer or about them; nothing else in an order is personal. */
export const ORDER_PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  OrderCancelled: ['reason'],
};

/** OrderPlaced is at schema version 2; the other order events have not changed since version 1. */
export const ORDER_EVENT_SCHEMAS: EventSchemas = {
  OrderPlaced: {
    version: 2,
    upcasters: { 1: (payload) => ({ ...(payload as object), currency: LEGACY_CURRENCY }) },
  },
};

/** An order event as the store hands it over (upcast), checked against its type; throws on anything else. */
export const decodeOrderEvent = eventDecoder(ORDER, ORDER_PAYLOADS, ORDER_EVENT_SCHEMAS);
