import { EVERYONE, STAFF } from '../auth/access';
import type { Slice } from '../slice';
import { orderCommands } from './commands';
import { ORDER, ORDER_EVENT_SCHEMAS, ORDER_EVENT_TYPES, ORDER_PERSONAL_FIELDS } from './events';
import { orderEventResolvers } from './event-resolvers';
import { orderLiveResolvers, ORDERS_LIVE } from './live';
import { orderLoader } from './loaders';
import { customersProjector } from './customers-projector';
import { cancelOrdersOnDeactivation } from './deactivation-reactor';
import { paymentWindow } from './payment-window';
import { ordersProjector } from './projector';
import { orderResolvers } from './resolvers';

/** Orders: placing, adding items, paying, shipping, cancelling; the orders query table and its live changes. */
export const ordersSlice: Slice = {
  name: 'orders',
  aggregateType: ORDER,
  eventTypes: ORDER_EVENT_TYPES,
  personalFields: ORDER_PERSONAL_FIELDS,
  events: ORDER_EVENT_SCHEMAS,
  // The customers' figures (order count, lifetime totals) fold order events into the customers slice's tables,
  // so their projector lives on this side of the one-way orders → customers dependency.
  projectors: [ordersProjector, customersProjector],
  // A customer's deactivation (a customers event) cancels their open orders: orders reacts, customers never knows.
  reactors: [cancelOrdersOnDeactivation],
  // An order not paid within ORDER_PAYMENT_WINDOW is cancelled.
  deadlines: [paymentWindow],
  // A customer's reads and commands reach only their own orders (scoped to context.owner in SQL and in commands).
  access: {
    'Query.order': EVERYONE,
    'Query.orders': EVERYONE,
    'Query.orderHistory': EVERYONE,
    'Query.orderAt': EVERYONE,
    'Query.orderStatusCounts': STAFF,
    'Mutation.placeOrder': EVERYONE,
    'Mutation.addItem': EVERYONE,
    'Mutation.payOrder': EVERYONE,
    'Mutation.cancelOrder': EVERYONE,
    'Mutation.shipOrder': STAFF,
    'Subscription.orderChanged': EVERYONE,
    'Subscription.ordersChanged': EVERYONE,
    'Subscription.orderListChanged': EVERYONE,
  },
  resolvers: ({ store, commands }) => ({
    ...orderResolvers(orderCommands(store, commands)),
    ...orderLiveResolvers,
    ...orderEventResolvers,
  }),
  nodes: [{ typename: 'Order', load: (context, id) => orderLoader(context).load(id) }],
  live: [ORDERS_LIVE],
};
