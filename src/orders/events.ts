import type { Money } from '../shared/money';

export type OrderItem = { productId: string; quantity: number; unitPrice: Money };

export type OrderPlaced = {
  type: 'OrderPlaced';
  data: { customerId: string; items: OrderItem[]; totalAmount: Money };
};
export type ItemAdded = { type: 'ItemAdded'; data: { item: OrderItem } };
export type OrderPaid = { type: 'OrderPaid'; data: { amount: Money } };
export type OrderShipped = { type: 'OrderShipped'; data: Record<string, never> };
export type OrderCancelled = { type: 'OrderCancelled'; data: { reason?: string } };

export type OrderEvent = OrderPlaced | ItemAdded | OrderPaid | OrderShipped | OrderCancelled;
export type OrderEventType = OrderEvent['type'];

export const ORDER = 'Order';
