import type { GraphQLResolveInfo } from 'graphql';
import { fold } from '../commands/aggregate';
import type { Resolvers } from '../generated/graphql';
import { customerLoader } from '../customers/loaders';
import { commandMeta as meta } from '../graphql-kit/command-meta';
import type { GraphQLContext } from '../graphql-kit/context';
import { parsesAs } from '../projections/keyset';
import { decodeCursor, encodeCursor, encodeKeysetCursor, keysetKey, readKeysetCursor } from '../graphql-kit/cursor';
import { MAX_ORDERS_PAGE, pageInfo, pageRequest, selects, type PagingArgs } from '../graphql-kit/pages';
import { answerWithOwnWrite, readsShowWrites } from '../graphql-kit/read-your-writes';
import { money } from '../graphql-kit/money';
import { InvalidInput } from '../shared/errors';
import { atScale, multiply } from '../shared/money';
import { orderAggregate, type OrderCommands, type OrderOutcome } from './commands';
import { ORDER, ORDER_EVENT_TYPES } from './events';
import { withinItemBudget } from './items-budget';
import { orderLoader } from './loaders';
import { orderItemModel } from './models';
import type { OrderListFilter } from './order-filter';
import { listOrders, ORDER_SORTS, orderStatusCounts, type OrderPage, type OrderSortField } from './read-model';

/** Only what identifies the command's target: the input's metadata must not count as "different input". */
const onOrder = (input: { orderId: string; expectedVersion?: number | null }) => ({
  orderId: input.orderId,
  expectedVersion: input.expectedVersion,
});

/** An order's cursor in its page's ordering: PLACED_AT's is the position, as before orderings existed. */
function orderCursor(page: OrderPage, index: number): string {
  const key = page.keys[index]!;
  return page.sort === 'PLACED_AT' ? encodeCursor(BigInt(key[0]!)) : encodeKeysetCursor(`orders.${page.sort}`, key);
}

/** A cursor's key for orders sorted by `sort`: a cursor of another ordering, or none of ours, is refused. */
const cursorKeyFor = (sort: OrderSortField) => (cursor: string, field: 'after' | 'before') => {
  const keyset = readKeysetCursor(cursor);
  if (keyset === undefined) {
    const position = decodeCursor(cursor, field);
    if (sort === 'PLACED_AT') return [position.toString()];
    throw new InvalidInput(`${field} is a cursor of orders sorted by PLACED_AT: use it with that orderBy`, field);
  }
  return keysetKey(keyset, `orders.${sort}`, (key) => parsesAs(ORDER_SORTS[sort], key), field);
};

type OrderPageArgs = PagingArgs & { orderBy?: { field: OrderSortField; direction: 'ASC' | 'DESC' } | null };

/** Every order command's payload type (each mutation has its own, for clients): the order as the command left it. */
const orderPayload = { order: (outcome: OrderOutcome) => outcome.state };

const SERVED: ReadonlySet<string> = new Set(ORDER_EVENT_TYPES);

/**
 * A page of the orders a caller may see (a customer: their own), with its total count when the query asks, within
 * the response's budget of items (items-budget.ts).
 */
async function orderPage(
  context: GraphQLContext,
  info: GraphQLResolveInfo,
  filter: OrderListFilter,
  args: OrderPageArgs,
) {
  const sort = {
    field: args.orderBy?.field ?? 'PLACED_AT',
    descending: (args.orderBy?.direction ?? 'DESC') === 'DESC',
  };
  const page = pageRequest(args, MAX_ORDERS_PAGE, cursorKeyFor(sort.field));
  await readsShowWrites(context);
  const read = await listOrders(context.services.reads, { ...filter, owner: context.owner }, sort, page, {
    withTotal: selects(info, 'totalCount'),
  });
  return withinItemBudget(read, page.backward, context, info);
}

/** The orders slice's API, over its commands. */
export const orderResolvers = (orders: OrderCommands): Resolvers => ({
  Query: {
    order: (_parent, { id }, context) => orderLoader(context).load(id),
    orders: (_parent, { filter, ...args }, context, info) => orderPage(context, info, filter ?? {}, args),
    async orderStatusCounts(_parent, _args, context) {
      await readsShowWrites(context);
      return orderStatusCounts(context.services.reads);
    },
    // A customer reads only their own orders' streams: another's reads as no stream (the owner is in the SQL).
    // An event of a type this service does not know (one a newer version appended) is left out, as `events` does.
    async orderHistory(_parent, { orderId }, { services, owner }) {
      const stream = await services.store.readStream(orderId, { ownerId: owner });
      return stream[0]?.aggregateType === ORDER ? stream.filter((e) => SERVED.has(e.eventType)) : [];
    },
    async orderAt(_parent, { orderId, version, at }, { services, owner }) {
      if (version !== null && version !== undefined && version < 1) {
        throw new InvalidInput('version must be 1 or more', 'version');
      }
      const stream = await services.store.readStream(orderId, {
        toVersion: version ?? undefined,
        until: at ?? undefined,
        ownerId: owner,
      });
      return fold(orderAggregate, stream).state;
    },
  },
  Mutation: {
    placeOrder: async (_parent, { input }, context) =>
      answerWithOwnWrite(
        context,
        await orders.place(
          { customerId: input.customerId, items: input.items, currency: input.currency },
          meta(input, context),
        ),
      ),
    addItem: async (_parent, { input }, context) =>
      answerWithOwnWrite(context, await orders.addItem(onOrder(input), input.item, meta(input, context))),
    payOrder: async (_parent, { input }, context) =>
      answerWithOwnWrite(context, await orders.pay(onOrder(input), meta(input, context))),
    shipOrder: async (_parent, { input }, context) =>
      answerWithOwnWrite(context, await orders.ship(onOrder(input), meta(input, context))),
    cancelOrder: async (_parent, { input }, context) =>
      answerWithOwnWrite(context, await orders.cancel(onOrder(input), input.reason, meta(input, context))),
  },
  PlaceOrderPayload: orderPayload,
  AddItemPayload: orderPayload,
  PayOrderPayload: orderPayload,
  ShipOrderPayload: orderPayload,
  CancelOrderPayload: orderPayload,
  Order: {
    items: (order) => order.items.map((item) => orderItemModel(item, order.currency)),
    total: (order) => money(order.totalAmount, order.currency),
    customer: (order, _args, context) => customerLoader(context).load(order.customerId),
  },
  Customer: {
    orders: (customer, { status, statuses, placedAfter, placedBefore, ...args }, context, info) =>
      orderPage(context, info, { customerId: customer.id, status, statuses, placedAfter, placedBefore }, args),
  },
  // An item may come from an event written before amounts followed their currency: atScale gives it its decimals.
  OrderItem: {
    price: (item) => money(item.unitPrice, item.currency),
    total: (item) => money(multiply(item.unitPrice, item.quantity, item.currency), item.currency),
    unitPrice: (item) => atScale(item.unitPrice, item.currency),
    lineTotal: (item) => multiply(item.unitPrice, item.quantity, item.currency),
  },
  OrderConnection: {
    edges: (page) => page.orders.map((node, index) => ({ node, cursor: orderCursor(page, index) })),
    nodes: (page) => page.orders,
    pageInfo: (page) =>
      pageInfo(
        page.orders.map((_order, index) => index),
        (index) => orderCursor(page, index),
        page,
      ),
    totalCount(page) {
      // orderPage reads the count with the page whenever the operation selects it, so it is here when asked for.
      if (page.totalCount === undefined) throw new Error('the page of orders was read without its count');
      return page.totalCount;
    },
  },
});
