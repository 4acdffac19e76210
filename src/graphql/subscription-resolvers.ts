import { EVERYONE, type AccessRules } from '../auth/access';
import type { StoredEvent } from '../eventstore';
import type { Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql-kit/context';
import { decodeCursor } from '../graphql-kit/cursor';
import { toStoreFilter } from '../graphql/event-resolvers';
import { readsShowWrites } from '../graphql-kit/read-your-writes';
import { NotFound, SubscriberTooSlowError } from '../shared/errors';
import { ORDER } from '../orders/events';
import { orderLoader } from '../orders/loaders';
import { EventFeed } from '../subscriptions/event-feed';
import { SubscriberTooSlow } from '../subscriptions/order-updates';

function payload<T>(value: T | SubscriberTooSlow, _args: unknown, context: GraphQLContext): T {
  if (value instanceof SubscriberTooSlow) throw new SubscriberTooSlowError(context.services.config.subscriptionBuffer);
  return value;
}

// Each scoped to context.owner for a customer: their own events, their own orders.
export const subscriptionAccess: AccessRules = {
  'Subscription.events': EVERYONE,
  'Subscription.orderChanged': EVERYONE,
  'Subscription.ordersChanged': EVERYONE,
};

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    events: {
      subscribe: async (_parent, { filter, after }, context) => {
        const { services, owner } = context;
        const from = after ? decodeCursor(after) : undefined;
        // "From now on" starts after what this instance has already answered: a client that subscribes after its
        // mutation does not get that mutation's event as news (read-your-writes, as for a read of the log).
        if (from === undefined) await readsShowWrites(context);
        return new EventFeed(services.store, services.tailer, toStoreFilter(filter, owner), from);
      },
      resolve: (event: StoredEvent) => event,
    },
    orderChanged: {
      // An order the log does not have is NOT_FOUND at once rather than a subscription that never speaks; to a
      // customer, another's order is such an order (the owner is in the SQL).
      subscribe: async (_parent, { orderId }, context) => {
        const [placed] = await context.services.store.readStream(orderId, { toVersion: 1, ownerId: context.owner });
        if (placed?.aggregateType !== ORDER) throw new NotFound(ORDER, orderId);
        return context.services.readModelFeed.watch(
          { orderId, customerId: context.owner },
          context.services.config.subscriptionBuffer,
          () => orderLoader(context).load(orderId),
        );
      },
      resolve: payload,
    },
    ordersChanged: {
      subscribe: (_parent, { filter }, { services, owner }) => {
        // A customer's changes are their own orders', whatever customer the filter names.
        const others = owner !== undefined && filter?.customerId != null && filter.customerId !== owner;
        return services.readModelFeed.watch(
          { customerId: owner ?? filter?.customerId, status: filter?.status, none: others },
          services.config.subscriptionBuffer,
        );
      },
      resolve: payload,
    },
  },
};
