import type { OrderFilter, Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql-kit/context';
import { liveListChange, liveListTooLarge, liveRow } from '../graphql-kit/live-rows';
import { NotFound } from '../shared/errors';
import type { ListChange, LiveListTooLarge } from '../subscriptions/list-membership';
import type { LiveReadModel } from '../subscriptions/read-model-feed';
import type { SubscriberTooSlow } from '../subscriptions/row-updates';
import { ORDER, ORDER_EVENT_TYPES } from './events';
import { orderLoader } from './loaders';
import { matchesOrderFilter, type OrderListFilter } from './order-filter';
import { ordersProjector } from './projector';
import { findOrdersThroughPrisma, listOrders, ORDER_MODEL, type OrderRecord, type OrderSort } from './read-model';

/** The orders table as subscribers follow it: an order's events change its row, which the orders projector writes. */
export const ORDERS_LIVE: LiveReadModel<OrderRecord> = {
  model: ORDER_MODEL,
  projector: ordersProjector.name,
  eventTypes: ORDER_EVENT_TYPES,
  read: findOrdersThroughPrisma,
};

/** What an orderListChanged subscriber's stream yields (read-model-feed.ts, watchList). */
type OrderListMessage = ListChange<OrderRecord> | LiveListTooLarge | SubscriberTooSlow;

/**
 * The list a subscriber follows, as `orders(filter:)` reads it (order-filter.ts): for a customer (`owner`), their own
 * orders only, whatever customer the filter names.
 */
const listOf = (filter: OrderFilter | null | undefined, owner: string | undefined): OrderListFilter => ({
  ...filter,
  owner,
});

/** A live list's first rows come newest first, as `orders` without `orderBy`. */
const NEWEST_FIRST: OrderSort = { field: 'PLACED_AT', descending: true };

/**
 * `orderChanged`, `ordersChanged` and `orderListChanged`: each scoped to context.owner for a customer (their own
 * orders only).
 */
export const orderLiveResolvers: Resolvers = {
  Subscription: {
    orderChanged: {
      // An order the log does not have is NOT_FOUND at once rather than a subscription that never speaks; to a
      // customer, another's order is such an order (the owner is in the SQL).
      subscribe: async (_parent, { orderId }, context) => {
        const { services, owner } = context;
        const [placed] = await services.store.readStream(orderId, { toVersion: 1, ownerId: owner });
        if (placed?.aggregateType !== ORDER) throw new NotFound(ORDER, orderId);
        return services.readModelFeed.watch(
          ORDER_MODEL,
          (order) => order.id === orderId && (!owner || order.customerId === owner),
          services.config.subscriptionBuffer,
          () => orderLoader(context).load(orderId),
        );
      },
      resolve: liveRow,
    },
    ordersChanged: {
      subscribe: (_parent, { filter }, { services, owner }) => {
        const list = listOf(filter, owner);
        return services.readModelFeed.watch(
          ORDER_MODEL,
          (order) => matchesOrderFilter(order, list),
          services.config.subscriptionBuffer,
        );
      },
      resolve: liveRow,
    },
    orderListChanged: {
      // The first rows are the `orders` query's, newest first, one more than the list may hold to know it is over.
      subscribe: (_parent, { filter }, { services, owner }) => {
        const { subscriptionBuffer, liveListLimit } = services.config;
        const list = listOf(filter, owner);
        return services.readModelFeed.watchList(
          ORDER_MODEL,
          (order) => matchesOrderFilter(order, list),
          { waiting: subscriptionBuffer, list: liveListLimit },
          async () => {
            const page = await listOrders(services.reads, list, NEWEST_FIRST, { size: liveListLimit, backward: false });
            if (page.hasNextPage) throw liveListTooLarge(liveListLimit);
            return page.orders;
          },
        );
      },
      resolve: (value: OrderListMessage, args: unknown, context: GraphQLContext) => {
        const { change, row } = liveListChange(value, args, context);
        return { change, order: row };
      },
    },
  },
};
