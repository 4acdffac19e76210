import type { EventSchemas } from '../eventstore/upcasting';
import type { Money } from '../shared/money';

export type OrderItem = { productId: string; quantity: number; unitPrice: Money };

/** Since schema version 2 it carries the order's currency (ISO 4217): every amount of the order is in it. */
export type OrderPlaced = {
  type: 'OrderPlaced';
  data: { customerId: string; items: OrderItem[]; totalAmount: Money; currency: string };
};
export type ItemAdded = { type: 'ItemAdded'; data: { item: OrderItem } };
export type OrderPaid = { type: 'OrderPaid'; data: { amount: Money } };
export type OrderShipped = { type: 'OrderShipped'; data: Record<string, never> };
export type OrderCancelled = { type: 'OrderCancelled'; data: { reason?: string } };

export type OrderEvent = OrderPlaced | ItemAdded | OrderPaid | OrderShipped | OrderCancelled;
export type OrderEventType = OrderEvent['type'];

export const ORDER = 'Order';

/**
 * The currency of every order placed before OrderPlaced carried one (schema version 1): a fact about this
 * service's history, so a constant, not the configurable default (which may change and must not rewrite the past).
 */
export const LEGACY_CURRENCY = 'EUR';

/** OrderPlaced is at schema version 2; the other order events have not changed since version 1. */
export const ORDER_EVENT_SCHEMAS: EventSchemas = {
  OrderPlaced: {
    version: 2,
    upcasters: { 1: (payload) => ({ ...(payload as object), currency: LEGACY_CURRENCY }) },
  },
};
