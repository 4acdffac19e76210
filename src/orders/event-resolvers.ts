import { customerLoader } from '../customers/loaders';
import type { Resolvers } from '../generated/graphql';
import { eventPayloads } from '../graphql-kit/event-payloads';
import { currencyCode, money } from '../graphql-kit/money';
import { decodeOrderEvent } from './events';
import { orderCurrencyLoader } from './loaders';
import { orderItemModel } from './models';

const payload = eventPayloads(decodeOrderEvent);
const placed = payload('OrderPlaced');
const added = payload('ItemAdded');
const paid = payload('OrderPaid');
const cancelled = payload('OrderCancelled');

/** The order events' typed fields, read from their payloads (their envelope fields are the Event interface's). */
export const orderEventResolvers: Resolvers = {
  OrderPlaced: {
    customerId: (event) => placed(event).customerId,
    // Scoped as `customer` is: a customer sees their own events only, so this is themselves.
    customer: (event, _args, context) => customerLoader(context).load(placed(event).customerId),
    items: (event) => placed(event).items.map((item) => orderItemModel(item, placed(event).currency)),
    total: (event) => money(placed(event).totalAmount, placed(event).currency),
    currency: (event) => currencyCode(placed(event).currency),
  },
  ItemAdded: {
    item: async (event, _args, context) =>
      orderItemModel(added(event).item, await orderCurrencyLoader(context).load(event.aggregateId)),
  },
  OrderPaid: {
    amount: async (event, _args, context) =>
      money(paid(event).amount, await orderCurrencyLoader(context).load(event.aggregateId)),
  },
  OrderCancelled: {
    reason: (event) => cancelled(event).reason ?? null,
  },
};
