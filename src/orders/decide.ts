import type { CustomerState } from '../customers/state';
import { InvalidInput, NotFound, RuleViolation, type BusinessRule } from '../shared/errors';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from '../shared/input-limits';
import { isCurrencyCode, withdrawal, type CurrencyCode } from '../shared/currencies';
import { parsePrice } from '../shared/money';
import { optionalText, requireText } from '../shared/text';
import type { OrderEvent, OrderItem } from './events';
import { orderTotal, type OrderState, type OrderStatus } from './state';

/** An item as a client sends it: the price is still raw text, validated here. */
export type OrderItemInput = { productId: string; quantity: number; unitPrice: string };

export type PlaceOrder = {
  type: 'PlaceOrder';
  customerId: string;
  /** The customer as the command handler loaded it (null: none): placing an order needs an existing, active one. */
  customer: CustomerState | null;
  items: OrderItemInput[];
  /** ISO 4217 (e.g. EUR): every amount of the order is in it, with its decimals. */
  currency: string;
  /** ORDER_PAYMENT_WINDOW as the order is placed: it must be paid within this many ms (undefined: no window). */
  paymentWindowMs?: number;
};
export type AddItem = { type: 'AddItem'; item: OrderItemInput };
export type PayOrder = { type: 'PayOrder' };
export type ShipOrder = { type: 'ShipOrder' };
export type CancelOrder = { type: 'CancelOrder'; reason?: string };
/** The order's payment window has closed (sent by the scheduler, never by a client). */
export type ExpirePayment = { type: 'ExpirePayment' };
export type OrderCommand = PlaceOrder | AddItem | PayOrder | ShipOrder | CancelOrder | ExpirePayment;

/** The reason an order cancelled for want of payment carries (OrderCancelled.reason). */
export const PAYMENT_WINDOW_EXPIRED = 'PAYMENT_WINDOW_EXPIRED';

export function decideOrder(
  command: OrderCommand,
  state: OrderState | null,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder': {
      if (state) throw new RuleViolation('ORDER_ALREADY_PLACED', 'The order has already been placed');
      if (!command.customer) throw new NotFound('Customer', command.customerId);
      if (command.customer.forgottenAt) {
        throw new RuleViolation('CUSTOMER_FORGOTTEN', 'A forgotten customer cannot place orders');
      }
      if (!command.customer.active) {
        throw new RuleViolation('CUSTOMER_INACTIVE', 'A deactivated customer cannot place orders');
      }
      if (command.items.length === 0) throw new InvalidInput('An order needs at least one item', 'items');
      if (command.items.length > limits.itemsPerOrder) {
        throw new InvalidInput(`An order may have at most ${limits.itemsPerOrder} items`, 'items');
      }
      const currency = validCurrency(command.currency);
      const items = command.items.map((item, i) => validItem(item, `items[${i}]`, currency, limits));
      const window = command.paymentWindowMs === undefined ? {} : { paymentWindowMs: command.paymentWindowMs };
      return [
        {
          type: 'OrderPlaced',
          data: {
            customerId: command.customerId,
            items,
            totalAmount: orderTotal(items, currency),
            currency,
            ...window,
          },
        },
      ];
    }
    case 'AddItem': {
      const order = existing(state);
      requireStatus(
        order.status,
        ['PLACED'],
        'ITEMS_ONLY_WHILE_PLACED',
        'Items can be added only while the order is PLACED',
      );
      // In the order's currency, with its decimals.
      const item = validItem(command.item, 'item', order.currency, limits);
      if (order.items.length >= limits.itemsPerOrder) {
        throw new RuleViolation('TOO_MANY_ITEMS', `An order may have at most ${limits.itemsPerOrder} items`);
      }
      return [{ type: 'ItemAdded', data: { item } }];
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
      const reason = optionalText(command.reason, 'reason', { max: limits.reasonLength, multiline: true });
      return [{ type: 'OrderCancelled', data: reason ? { reason } : {} }];
    }
    case 'ExpirePayment': {
      const order = existing(state);
      // Paid or cancelled before the window closed: the deadline is moot, and the scheduler takes the refusal so.
      requireStatus(
        order.status,
        ['PLACED'],
        'PAY_ONLY_WHEN_PLACED',
        `A ${order.status} order has no payment window left to close`,
      );
      return [{ type: 'OrderCancelled', data: { reason: PAYMENT_WINDOW_EXPIRED } }];
    }
    default:
      return assertNever(command);
  }
}

function existing(state: OrderState | null): OrderState {
  // The command handler answers NOT_FOUND for an unknown order before deciding; this guards direct callers.
  if (!state) throw new RuleViolation('ORDER_NOT_PLACED', 'The order has not been placed');
  return state;
}

function requireStatus(
  status: OrderStatus,
  allowed: readonly OrderStatus[],
  rule: BusinessRule,
  message: string,
): void {
  if (!allowed.includes(status)) throw new RuleViolation(rule, message);
}

function validItem(item: OrderItemInput, field: string, currency: string, limits: InputLimits): OrderItem {
  const productId = requireText(item.productId, `${field}.productId`, { max: limits.productIdLength });
  if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > limits.quantity) {
    throw new InvalidInput(
      `${field}.quantity must be a whole number from 1 to ${limits.quantity}, got ${item.quantity}`,
      `${field}.quantity`,
    );
  }
  return {
    productId,
    quantity: item.quantity,
    unitPrice: parsePrice(item.unitPrice, `${field}.unitPrice`, currency, limits.unitPrice),
  };
}

/** A current ISO 4217 code, as the CurrencyCode enum names it (one withdrawn since is refused, with its successor). */
export function validCurrency(raw: string): CurrencyCode {
  if (!isCurrencyCode(raw)) {
    throw new InvalidInput(`currency must be an ISO 4217 code such as EUR, got "${raw.slice(0, 10)}"`, 'currency');
  }
  const withdrawn = withdrawal(raw);
  if (withdrawn) throw new InvalidInput(`currency ${raw} is no longer in use (${withdrawn})`, 'currency');
  return raw;
}

function assertNever(value: never): never {
  throw new Error(`Unhandled order command: ${JSON.stringify(value)}`);
}
