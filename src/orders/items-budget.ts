import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../graphql-kit/context';
import type { OrderPage } from './read-model';

/**
 * The query cost counts an order at 10 items (schema.graphql, `Order.items`) although one may hold
 * MAX_ITEMS_PER_ORDER, so that a page of ordinary orders is not priced as if each held the most. What bounds the items
 * a response holds is this budget instead: the orders pages of one result hold ORDER_ITEMS_PER_RESPONSE items
 * together. Per result, not per page, since pages nest (each order's customer's orders) and a per-page bound would
 * multiply with them. A page ends with the order that spends the budget, so a result's first page holds at least
 * one order and a result at most one order beyond the budget; a page read once it is spent holds none. Either says
 * so the way the page goes: forward (`first`), it keeps its first orders and says `hasNextPage: true`, and the client
 * reads on from `endCursor`; backward (`last`), it keeps the orders nearest `before`, its last ones, and says
 * `hasPreviousPage: true`, and the client reads on from `startCursor`. An emptied page is asked for again in a
 * query of its own.
 */
export function withinItemBudget(
  page: OrderPage,
  backward: boolean,
  context: GraphQLContext,
  info: GraphQLResolveInfo,
): OrderPage {
  const budget = resultBudget(context, info);
  const inReadingOrder = backward ? [...page.orders].reverse() : page.orders;
  let kept = 0;
  while (kept < inReadingOrder.length && budget.left > 0) budget.left -= inReadingOrder[kept++]!.items.length;
  if (kept === page.orders.length) return page;
  if (backward) {
    const from = page.orders.length - kept;
    return { ...page, orders: page.orders.slice(from), keys: page.keys.slice(from), hasPreviousPage: true };
  }
  return { ...page, orders: page.orders.slice(0, kept), keys: page.keys.slice(0, kept), hasNextPage: true };
}

type Budget = { left: number };

const budgets = () => new WeakMap<object, Budget>();

/**
 * The budget of the result this resolver works for. A query or mutation executes once per context; a subscription
 * executes once per event with the event as its root value, and each event's result is a response of its own.
 */
function resultBudget(context: GraphQLContext, info: GraphQLResolveInfo): Budget {
  const root: unknown = info.rootValue;
  const key = typeof root === 'object' && root !== null ? root : context;
  const byResult = context.perRequest(budgets);
  let budget = byResult.get(key);
  if (!budget) byResult.set(key, (budget = { left: context.services.config.orderItemsPerResponse }));
  return budget;
}
