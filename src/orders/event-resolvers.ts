import { customerLoader } from '../customers/loaders';
import type { Resolvers } from '../generated/graphql';
import { eventPayloads } from '../graphql-kit/event-payloads';
import { decodeOrderEvent } from './events';

const payload = eventPayloads(decodeOrderEvent);
const placed = payload('OrderPlaced');
const added = payload('ItemAdded');
const paid = payload('OrderPaid');
const cancelled = payload('OrderCancelled');

/** The order events' typed fields, read from their payloads (their envelope fields are the Event interface's). */
export const orderEventResolvers: Resolvers = {
  OrderPlaced: {
    customerId: (event, _args, context) => placed(event, context).customerId,
    // Scoped as `customer` is: a customer sees their own events only, so this is themselves.
    customer: (event, _args, context) => customerLoader(context).load(placed(event, context).customerId),
    items: (event, _args, context) => placed(event, context).items,
    totalAmount: (event, _args, context) => placed(event, context).totalAmount,
    currency: (event, _args, context) => placed(event, context).currency,
  },
  ItemAdded: {
    item: (event, _args, context) => added(event, context).item,
  },
  OrderPaid: {
    amount: (event, _args, context) => paid(event, context).amount,
  },
  OrderCancelled: {
    reason: (event, _args, context) => cancelled(event, context).reason ?? null,
  },
};
