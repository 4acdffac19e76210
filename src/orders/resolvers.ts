import type { GraphQLResolveInfo } from 'graphql';
import { fold } from '../commands/aggregate';
import type { Resolvers } from '../generated/graphql';
import { customerLoader } from '../customers/loaders';
import { commandMeta as meta } from '../graphql-kit/command-meta';
import type { GraphQLContext } from '../graphql-kit/context';
import { decodeCursor, encodeCursor } from '../graphql-kit/cursor';
import { MAX_ORDERS_PAGE, pageInfo, pageSize, selects } from '../graphql-kit/pages';
import { answerWithOwnWrite, readsShowWrites } from '../graphql-kit/read-your-writes';
import { money } from '../graphql-kit/money';
import { InvalidInput } from '../shared/errors';
import { atScale, multiply } from '../shared/money';
import { orderAggregate, type OrderCommands, type OrderOutcome } from './commands';
import { ORDER, ORDER_EVENT_TYPES } from './events';
import { withinItemBudget } from './items-budget';
import { orderLoader } from './loaders';
import { orderItemModel } from './models';
import { listOrders, orderStatusCounts, type OrderListFilter, type OrderRecord } from './read-model';

/** Only what identifies the command's target: the input's metadata must not count as "different input". */
const onOrder = (input: { orderId: string; expectedVersion?: number | null }) => ({
  orderId: input.orderId,
  expectedVersion: input.expectedVersion,
});

const orderCursor = (order: OrderRecord) => encodeCursor(order.placedPosition);

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
  first: number | null | undefined,
  after: string | null | undefined,
) {
  const limit = pageSize(first, 20, MAX_ORDERS_PAGE);
  await readsShowWrites(context);
  const page = await listOrders(
    context.services.reads,
    { ...filter, owner: context.owner },
    limit,
    after ? decodeCursor(after) : undefined,
    { withTotal: selects(info, 'totalCount') },
  );
  return withinItemBudget(page, context, info);
}

/** The orders slice's API, over its commands. */
export const orderResolvers = (orders: OrderCommands): Resolvers => ({
  Query: {
    order: (_parent, { id }, context) => orderLoader(context).load(id),
    orders: (_parent, { filter, first, after }, context, info) => orderPage(context, info, filter ?? {}, first, after),
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
    orders: (customer, { status, first, after }, context, info) =>
      orderPage(context, info, { customerId: customer.id, status }, first, after),
  },
  // An item may come from an event written before amounts followed their currency: atScale gives it its decimals.
  OrderItem: {
    price: (item) => money(item.unitPrice, item.currency),
    total: (item) => money(multiply(item.unitPrice, item.quantity, item.currency), item.currency),
    unitPrice: (item) => atScale(item.unitPrice, item.currency),
    lineTotal: (item) => multiply(item.unitPrice, item.quantity, item.currency),
  },
  OrderConnection: {
    edges: (page) => page.orders.map((node) => ({ node, cursor: orderCursor(node) })),
    nodes: (page) => page.orders,
    pageInfo: (page) => pageInfo(page.orders, orderCursor, page),
    totalCount(page) {
      // orderPage reads the count with the page whenever the operation selects it, so it is here when asked for.
      if (page.totalCount === undefined) throw new Error('the page of orders was read without its count');
      return page.totalCount;
    },
  },
});
