import type { Resolvers } from '../generated/graphql';
import type { GraphQLContext } from '../graphql/context';
import { decodeCursor } from '../graphql/cursor';
import { toStoreFilter } from '../graphql/event-resolvers';
import type { OrderRecord } from '../orders/projector';
import { SubscriberTooSlowError } from '../shared/errors';
import type { BoundedQueue } from './bounded-queue';
import { eventFeed, SubscriberTooSlow } from './event-feed';

/** Drains a queue of order rows, skipping versions already sent, and marks an overflow at the end. */
async function* orderUpdates(
  queue: BoundedQueue<OrderRecord>,
  initial?: Promise<OrderRecord | null>,
): AsyncGenerator<OrderRecord | SubscriberTooSlow> {
  const sent = new Map<string, number>();
  const fresh = (order: OrderRecord) => (sent.get(order.id) ?? 0) < order.version;
  try {
    const first = await initial;
    if (first) {
      sent.set(first.id, first.version);
      yield first;
    }
    for await (const order of queue) {
      if (!fresh(order)) continue;
      sent.set(order.id, order.version);
      yield order;
    }
    if (queue.overflowed) yield new SubscriberTooSlow();
  } finally {
    await queue.return();
  }
}

function payload<T>(value: T | SubscriberTooSlow, _args: unknown, context: GraphQLContext): T {
  if (value instanceof SubscriberTooSlow) throw new SubscriberTooSlowError(context.services.config.subscriptionBuffer);
  return value;
}

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    events: {
      subscribe: (_parent, { filter, after }, { services }) =>
        eventFeed(
          services.store,
          services.tailer,
          toStoreFilter(filter),
          after ? decodeCursor(after) : undefined,
          services.config.subscriptionBuffer,
        ),
      resolve: payload,
    },
    orderChanged: {
      // Registered before the current row is read, so a change between the two is not missed (versions dedupe).
      subscribe: (_parent, { orderId }, { services, loaders }) =>
        orderUpdates(services.readModelFeed.watch({ orderId }, services.config.subscriptionBuffer), loaders.order.load(orderId)),
      resolve: payload,
    },
    ordersChanged: {
      subscribe: (_parent, { filter }, { services }) =>
        orderUpdates(
          services.readModelFeed.watch(
            { customerId: filter?.customerId, status: filter?.status },
            services.config.subscriptionBuffer,
          ),
        ),
      resolve: payload,
    },
  },
};
