import { multiply, sum, type Money } from '../shared/money';
import type { OrderEvent, OrderItem } from './events';

export const ORDER_STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderState =
  | { exists: false }
  | {
      exists: true;
      customerId: string;
      status: OrderStatus;
      items: OrderItem[];
      totalAmount: Money;
      currency: string;
      cancellationReason?: string;
    };

export const initialOrderState: OrderState = { exists: false };

export function orderTotal(items: readonly OrderItem[]): Money {
  return sum(items.map((i) => multiply(i.unitPrice, i.quantity)));
}

export function evolveOrder(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderPlaced':
      return {
        exists: true,
        customerId: event.data.customerId,
        status: 'PLACED',
        items: event.data.items,
        totalAmount: event.data.totalAmount,
        currency: event.data.currency,
      };
    case 'ItemAdded': {
      if (!state.exists) return state;
      const item = event.data.item;
      // Added to the running total rather than re-summed: exact either way (two-decimal amounts), and an order
      // folded item by item stays linear in its size.
      return {
        ...state,
        items: [...state.items, item],
        totalAmount: sum([state.totalAmount, multiply(item.unitPrice, item.quantity)]),
      };
    }
    case 'OrderPaid':
      return state.exists ? { ...state, status: 'PAID' } : state;
    case 'OrderShipped':
      return state.exists ? { ...state, status: 'SHIPPED' } : state;
    case 'OrderCancelled':
      return state.exists ? { ...state, status: 'CANCELLED', cancellationReason: event.data.reason } : state;
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled order event: ${JSON.stringify(value)}`);
}
