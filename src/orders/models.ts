import type { OrderItem } from './events';

/**
 * An item as the API serves it (`OrderItem`): the item with the currency of its order, which its amounts are in.
 * Built from an order's items, or from an event's (OrderPlaced.items, ItemAdded.item) with its order's currency.
 */
export type OrderItemModel = OrderItem & { currency: string };

export function orderItemModel(item: OrderItem, currency: string): OrderItemModel {
  return { ...item, currency };
}
