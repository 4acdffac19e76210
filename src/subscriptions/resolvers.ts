import type { StoredEvent } from '../eventstore';
import type { Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql/context';
import { decodeCursor } from '../graphql/cursor';
import { toStoreFilter } from '../graphql/event-resolvers';
import { SubscriberTooSlowError } from '../shared/errors';
import { orderLoader } from '../orders/loaders';
import { EventFeed } from './event-feed';
import { SubscriberTooSlow } from './order-updates';

function payload<T>(value: T | SubscriberTooSlow, _args: unknown, context: GraphQLContext): T {
  if (value instanceof SubscriberTooSlow) throw new SubscriberTooSlowError(context.services.config.subscriptionBuffer);
  return value;
}

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    events: {
      subscribe: (_parent, { filter, after }, { services }) =>
        new EventFeed(services.store, services.tailer, toStoreFilter(filter), after ? decodeCursor(after) : undefined),
      resolve: (event: StoredEvent) => event,
    },
    orderChanged: {
      subscribe: (_parent, { orderId }, context) =>
        context.services.readModelFeed.watch({ orderId }, context.services.config.subscriptionBuffer, () =>
          orderLoader(context).load(orderId),
        ),
      resolve: payload,
    },
    ordersChanged: {
      subscribe: (_parent, { filter }, { services }) =>
        services.readModelFeed.watch(
          { customerId: filter?.customerId, status: filter?.status },
          services.config.subscriptionBuffer,
        ),
      resolve: payload,
    },
  },
};
