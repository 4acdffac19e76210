import type { Slice } from '../slice';
import { customerCommands } from './commands';
import { customersProjector } from './projector';
import { customerResolvers } from './resolvers';

/** Customers: registering and deactivating; the customers query table with order counts and lifetime totals. */
export const customersSlice: Slice = {
  name: 'customers',
  // Every customer event is still at schema version 1.
  events: {},
  projectors: [customersProjector],
  resolvers: ({ store, commands }) => customerResolvers(customerCommands(store, commands)),
};
