import type { Recorded } from '../commands/event-decoder';
import { atScale, multiply, sum, type Amount } from '../shared/money';
import type { OrderEvent, OrderItem, OrderPlaced } from './events';

export const ORDER_STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * An order as clients read it and as the decider judges it (null until it is placed): one fold of its stream serves
 * the command side, its snapshots and the query table. Its amounts have its currency's decimals (atScale).
 */
export type OrderState = {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: OrderItem[];
  itemCount: number;
  totalAmount: Amount;
  /** ISO 4217: the currency of every amount of the order. */
  currency: string;
  cancellationReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  shippedAt: Date | null;
  cancelledAt: Date | null;
  /** When its payment window closes while it is PLACED; null without a window, or once paid or cancelled. */
  paymentDueAt: Date | null;
};

export function orderTotal(items: readonly OrderItem[], currency: string): Amount {
  return sum(
    items.map((i) => multiply(i.unitPrice, i.quantity, currency)),
    currency,
  );
}

/** An item with its price in `currency`'s decimals (an event written before amounts followed their currency has two). */
export function itemAtScale(item: OrderItem, currency: string): OrderItem {
  return { ...item, unitPrice: atScale(item.unitPrice, currency) };
}

export function evolveOrder(state: OrderState | null, event: Recorded<OrderEvent>): OrderState | null {
  if (event.type === 'OrderPlaced') return placed(event);
  // Only OrderPlaced starts an order; no stream the decider wrote has anything before it.
  if (!state) return null;
  const at = event.timestamp;
  const next = { ...state, version: event.version, updatedAt: at };
  switch (event.type) {
    case 'ItemAdded': {
      const item = itemAtScale(event.data.item, state.currency);
      // Added to the running total rather than re-summed: exact either way (decimal amounts), and an order folded
      // item by item stays linear in its size.
      return {
        ...next,
        items: [...state.items, item],
        itemCount: state.itemCount + item.quantity,
        totalAmount: sum([state.totalAmount, multiply(item.unitPrice, item.quantity, state.currency)], state.currency),
      };
    }
    case 'OrderPaid':
      return { ...next, status: 'PAID', paidAt: at, paymentDueAt: null };
    case 'OrderShipped':
      return { ...next, status: 'SHIPPED', shippedAt: at, paymentDueAt: null };
    case 'OrderCancelled':
      return {
        ...next,
        status: 'CANCELLED',
        cancellationReason: event.data.reason ?? null,
        cancelledAt: at,
        paymentDueAt: null,
      };
    default:
      return assertNever(event);
  }
}

function placed(event: Recorded<OrderPlaced>): OrderState {
  const { customerId, items, totalAmount, currency, paymentWindowMs } = event.data;
  return {
    id: event.aggregateId,
    customerId,
    status: 'PLACED',
    items: items.map((item) => itemAtScale(item, currency)),
    itemCount: items.reduce((n, i) => n + i.quantity, 0),
    totalAmount: atScale(totalAmount, currency),
    currency,
    cancellationReason: null,
    version: event.version,
    createdAt: event.timestamp,
    updatedAt: event.timestamp,
    paidAt: null,
    shippedAt: null,
    cancelledAt: null,
    paymentDueAt: paymentWindowMs === undefined ? null : paymentDueAt(event.timestamp, paymentWindowMs),
  };
}

/** When an order placed at `placedAt` with a payment window of `windowMs` must have been paid. */
export function paymentDueAt(placedAt: Date, windowMs: number): Date {
  return new Date(placedAt.getTime() + windowMs);
}

function assertNever(value: never): never {
  throw new Error(`Unhandled order event: ${JSON.stringify(value)}`);
}
