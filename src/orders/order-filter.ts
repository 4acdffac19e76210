import { ORDER_STATUSES, type OrderState, type OrderStatus } from './state';

/**
 * Which orders a list holds (OrderFilter). `owner`: a customer's list, whatever customer the filter names
 * (another's holds nothing). `status` and `statuses` must both hold when both are given; `placedAfter` is
 * inclusive, `placedBefore` exclusive, both on `createdAt` (the OrderPlaced event's timestamp).
 */
export type OrderListFilter = {
  customerId?: string | null;
  status?: OrderStatus | null;
  statuses?: readonly OrderStatus[] | null;
  placedAfter?: Date | null;
  placedBefore?: Date | null;
  owner?: string;
};

/** The statuses an order may be in to match, undefined for any (an empty list: none). */
export function statusesOf(filter: OrderListFilter): readonly OrderStatus[] | undefined {
  const given = [filter.status ? [filter.status] : undefined, filter.statuses ?? undefined].filter(
    (set): set is readonly OrderStatus[] => set !== undefined,
  );
  if (given.length === 0) return undefined;
  const allowed = ORDER_STATUSES.filter((status) => given.every((set) => set.includes(status)));
  return allowed.length === ORDER_STATUSES.length ? undefined : allowed;
}

/** The customer whose orders the list holds (undefined: anyone's), or null when it can hold none. */
export function customerOf(filter: OrderListFilter): string | undefined | null {
  if (filter.owner !== undefined && filter.customerId != null && filter.customerId !== filter.owner) return null;
  return filter.owner ?? filter.customerId ?? undefined;
}

/** Whether the list holds `order` as it stands: what the query table's read selects, for a live row. */
export function matchesOrderFilter(order: OrderState, filter: OrderListFilter): boolean {
  const customerId = customerOf(filter);
  const statuses = statusesOf(filter);
  return (
    customerId !== null &&
    (customerId === undefined || order.customerId === customerId) &&
    (statuses === undefined || statuses.includes(order.status)) &&
    (!filter.placedAfter || order.createdAt >= filter.placedAfter) &&
    (!filter.placedBefore || order.createdAt < filter.placedBefore)
  );
}
