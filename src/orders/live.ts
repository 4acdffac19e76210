import type { Resolvers } from '../generated/graphql';
import { liveRow } from '../graphql-kit/live-rows';
import { NotFound } from '../shared/errors';
import type { LiveReadModel } from '../subscriptions/read-model-feed';
import { ORDER } from './events';
import { orderLoader } from './loaders';
import { matchesOrderFilter } from './order-filter';
import { ORDER_EVENT_TYPES, ordersProjector } from './projector';
import { findOrdersThroughPrisma, ORDER_MODEL, type OrderRecord } from './read-model';

/** The orders table as subscribers follow it: an order's events change its row, which the orders projector writes. */
export const ORDERS_LIVE: LiveReadModel<OrderRecord> = {
  model: ORDER_MODEL,
  projector: ordersProjector.name,
  eventTypes: ORDER_EVENT_TYPES,
  read: findOrdersThroughPrisma,
};

/** `orderChanged` and `ordersChanged`: each scoped to context.owner for a customer (their own orders only). */
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
        // A customer's changes are their own orders', whatever customer the filter names.
        const list = { ...filter, owner };
        return services.readModelFeed.watch(
          ORDER_MODEL,
          (order) => matchesOrderFilter(order, list),
          services.config.subscriptionBuffer,
        );
      },
      resolve: liveRow,
    },
  },
};
