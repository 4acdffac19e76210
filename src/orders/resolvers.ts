import type { Resolvers } from '../generated/graphql';
import { commandMeta as meta } from '../graphql/command-meta';
import { InvalidInput } from '../shared/errors';
import { multiply } from '../shared/money';
import { ORDER } from './events';
import { orderViewFrom } from './view';

/** Only what identifies the command's target: the input's metadata must not count as "different input". */
const onOrder = (input: { orderId: string; expectedVersion?: number | null }) => ({
  orderId: input.orderId,
  expectedVersion: input.expectedVersion,
});

export const orderResolvers: Resolvers = {
  Query: {
    async orderHistory(_parent, { orderId }, { services }) {
      const stream = await services.store.readStream(orderId);
      return stream[0]?.aggregateType === ORDER ? stream : [];
    },
    async orderAt(_parent, { orderId, version, at }, { services }) {
      if (version !== null && version !== undefined && version < 1) {
        throw new InvalidInput('version must be 1 or more', 'version');
      }
      const stream = await services.store.readStream(orderId, { toVersion: version ?? undefined, until: at ?? undefined });
      return stream[0]?.aggregateType === ORDER ? orderViewFrom(stream) : null;
    },
  },
  Mutation: {
    placeOrder: (_parent, { input }, context) =>
      context.services.orders.place({ customerId: input.customerId, items: input.items }, meta(input, context)),
    addItem: (_parent, { input }, context) =>
      context.services.orders.addItem(onOrder(input), input.item, meta(input, context)),
    payOrder: (_parent, { input }, context) => context.services.orders.pay(onOrder(input), meta(input, context)),
    shipOrder: (_parent, { input }, context) => context.services.orders.ship(onOrder(input), meta(input, context)),
    cancelOrder: (_parent, { input }, context) =>
      context.services.orders.cancel(onOrder(input), input.reason, meta(input, context)),
  },
  OrderItem: {
    lineTotal: (item) => multiply(item.unitPrice, item.quantity),
  },
};
