import type { Recorded } from '../commands/event-decoder';
import { multiply, sum, type Money } from '../shared/money';
import type { OrderEvent, OrderItem, OrderPlaced } from './events';

export const ORDER_STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * An order as clients read it and as the decider judges it (null until it is placed): one fold of its stream serves
 * the command side, its snapshots and the query table.
 */
export type OrderState = {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: OrderItem[];
  itemCount: number;
  totalAmount: Money;
  /** ISO 4217: the currency of every amount of the order. */
  currency: string;
  cancellationReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  shippedAt: Date | null;
  cancelledAt: Date | null;
};

export function orderTotal(items: readonly OrderItem[]): Money {
  return sum(items.map((i) => multiply(i.unitPrice, i.quantity)));
}

export function evolveOrder(state: OrderState | null, event: Recorded<OrderEvent>): OrderState | null {
  if (event.type === 'OrderPlaced') return placed(event);
  // Only OrderPlaced starts an order; no stream the decider wrote has anything before it.
  if (!state) return null;
  const at = event.timestamp;
  const next = { ...state, version: event.version, updatedAt: at };
  switch (event.type) {
    case 'ItemAdded': {
      const item = event.data.item;
      // Added to the running total rather than re-summed: exact either way (two-decimal amounts), and an order
      // folded item by item stays linear in its size.
      return {
        ...next,
        items: [...state.items, item],
        itemCount: state.itemCount + item.quantity,
        totalAmount: sum([state.totalAmount, multiply(item.unitPrice, item.quantity)]),
      };
    }
    case 'OrderPaid':
      return { ...next, status: 'PAID', paidAt: at };
    case 'OrderShipped':
      return { ...next, status: 'SHIPPED', shippedAt: at };
    case 'OrderCancelled':
      return { ...next, status: 'CANCELLED', cancellationReason: event.data.reason ?? null, cancelledAt: at };
    default:
      return assertNever(event);
  }
}

function placed(event: Recorded<OrderPlaced>): OrderState {
  const { customerId, items, totalAmount, currency } = event.data;
  return {
    id: event.aggregateId,
    customerId,
    status: 'PLACED',
    items,
    itemCount: items.reduce((n, i) => n + i.quantity, 0),
    totalAmount,
    currency,
    cancellationReason: null,
    version: event.version,
    createdAt: event.timestamp,
    updatedAt: event.timestamp,
    paidAt: null,
    shippedAt: null,
    cancelledAt: null,
  };
}

function assertNever(value: never): never {
  throw new Error(`Unhandled order event: ${JSON.stringify(value)}`);
}
