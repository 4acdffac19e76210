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
    customerId: (event) => placed(event).customerId,
    // Scoped as `customer` is: a customer sees their own events only, so this is themselves.
    customer: (event, _args, context) => customerLoader(context).load(placed(event).customerId),
    items: (event) => placed(event).items,
    totalAmount: (event) => placed(event).totalAmount,
    currency: (event) => placed(event).currency,
  },
  ItemAdded: {
    item: (event) => added(event).item,
  },
  OrderPaid: {
    amount: (event) => paid(event).amount,
  },
  OrderCancelled: {
    reason: (event) => cancelled(event).reason ?? null,
  },
};
