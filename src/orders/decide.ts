import type { CustomerState } from '../customers/state';
import { InvalidInput, NotFound, RuleViolation } from '../shared/errors';
import { parsePrice } from '../shared/money';
import type { OrderEvent, OrderItem } from './events';
import { orderTotal, type OrderState, type OrderStatus } from './state';

/** An item as a client sends it: the price is still raw text, validated here. */
export type OrderItemInput = { productId: string; quantity: number; unitPrice: string };

export type PlaceOrder = {
  type: 'PlaceOrder';
  customerId: string;
  /** The customer as the command handler loaded it: placing an order needs an existing, active customer. */
  customer: CustomerState;
  items: OrderItemInput[];
};
export type AddItem = { type: 'AddItem'; item: OrderItemInput };
export type PayOrder = { type: 'PayOrder' };
export type ShipOrder = { type: 'ShipOrder' };
export type CancelOrder = { type: 'CancelOrder'; reason?: string };
export type OrderCommand = PlaceOrder | AddItem | PayOrder | ShipOrder | CancelOrder;

const MAX_ITEMS = 1000;

export function decideOrder(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder': {
      if (state.exists) throw new RuleViolation('ORDER_ALREADY_PLACED', 'The order has already been placed');
      if (!command.customer.exists) throw new NotFound('Customer', command.customerId);
      if (!command.customer.active) {
        throw new RuleViolation('CUSTOMER_INACTIVE', 'A deactivated customer cannot place orders');
      }
      if (command.items.length === 0) throw new InvalidInput('An order needs at least one item', 'items');
      if (command.items.length > MAX_ITEMS) {
        throw new InvalidInput(`An order may have at most ${MAX_ITEMS} items`, 'items');
      }
      const items = command.items.map((item, i) => validItem(item, `items[${i}]`));
      return [{ type: 'OrderPlaced', data: { customerId: command.customerId, items, totalAmount: orderTotal(items) } }];
    }
    case 'AddItem': {
      const order = existing(state);
      requireStatus(order.status, ['PLACED'], 'ITEMS_ONLY_WHILE_PLACED', 'Items can be added only while the order is PLACED');
      if (order.items.length >= MAX_ITEMS) {
        throw new RuleViolation('TOO_MANY_ITEMS', `An order may have at most ${MAX_ITEMS} items`);
      }
      return [{ type: 'ItemAdded', data: { item: validItem(command.item, 'item') } }];
    }
    case 'PayOrder': {
      const order = existing(state);
      requireStatus(order.status, ['PLACED'], 'PAY_ONLY_WHEN_PLACED', `A ${order.status} order cannot be paid`);
      return [{ type: 'OrderPaid', data: { amount: order.totalAmount } }];
    }
    case 'ShipOrder': {
      const order = existing(state);
      requireStatus(order.status, ['PAID'], 'SHIP_ONLY_WHEN_PAID', `A ${order.status} order cannot be shipped`);
      return [{ type: 'OrderShipped', data: {} }];
    }
    case 'CancelOrder': {
      const order = existing(state);
      requireStatus(
        order.status,
        ['PLACED', 'PAID'],
        'CANCEL_ONLY_BEFORE_SHIPPING',
        `A ${order.status} order cannot be cancelled`,
      );
      const reason = command.reason?.trim();
      return [{ type: 'OrderCancelled', data: reason ? { reason } : {} }];
    }
    default:
      return assertNever(command);
  }
}

function existing(state: OrderState): Extract<OrderState, { exists: true }> {
  // The command handler answers NOT_FOUND for an unknown order before deciding; this guards direct callers.
  if (!state.exists) throw new RuleViolation('ORDER_NOT_PLACED', 'The order has not been placed');
  return state;
}

function requireStatus(status: OrderStatus, allowed: readonly OrderStatus[], rule: string, message: string): void {
  if (!allowed.includes(status)) throw new RuleViolation(rule, message);
}

function validItem(item: OrderItemInput, field: string): OrderItem {
  const productId = item.productId.trim();
  if (productId.length === 0) throw new InvalidInput(`${field}.productId must not be empty`, `${field}.productId`);
  if (!Number.isSafeInteger(item.quantity) || item.quantity < 1) {
    throw new InvalidInput(`${field}.quantity must be a positive integer, got ${item.quantity}`, `${field}.quantity`);
  }
  return { productId, quantity: item.quantity, unitPrice: parsePrice(item.unitPrice, `${field}.unitPrice`) };
}

function assertNever(value: never): never {
  throw new Error(`Unhandled order command: ${JSON.stringify(value)}`);
}
