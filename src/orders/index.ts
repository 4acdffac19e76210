import type { Slice } from '../slice';
import { orderCommands } from './commands';
import { ORDER_EVENT_SCHEMAS } from './events';
import { ordersProjector } from './projector';
import { orderResolvers } from './resolvers';

/** Orders: placing, adding items, paying, shipping, cancelling; the orders query table and its live changes. */
export const ordersSlice: Slice = {
  name: 'orders',
  events: ORDER_EVENT_SCHEMAS,
  projectors: [ordersProjector],
  resolvers: ({ store, commands }) => orderResolvers(orderCommands(store, commands)),
};
