import { ADMIN, EVERYONE, STAFF } from '../auth/access';
import type { Slice } from '../slice';
import { customerCommands } from './commands';
import { CUSTOMER, CUSTOMER_EVENT_SCHEMAS, CUSTOMER_EVENT_TYPES, CUSTOMER_PERSONAL_FIELDS } from './events';
import { customerEventResolvers } from './event-resolvers';
import { customerLoader } from './loaders';
import { customerResolvers } from './resolvers';

/** Customers: registering and deactivating; the customers query table with order counts and lifetime totals. */
export const customersSlice: Slice = {
  name: 'customers',
  aggregateType: CUSTOMER,
  eventTypes: CUSTOMER_EVENT_TYPES,
  personalFields: CUSTOMER_PERSONAL_FIELDS,
  events: CUSTOMER_EVENT_SCHEMAS,
  // Its query tables are kept by the orders slice's customersProjector, which reads order events too.
  projectors: [],
  // A deactivation's effect on orders is the orders slice's reactor (customers never reaches into orders).
  reactors: [],
  deadlines: [],
  // A customer reads only themselves (customerLoader is scoped to context.owner), in `customer` and `viewer` alike.
  access: {
    'Query.customer': EVERYONE,
    // The list of every customer is the shop's, not a customer's.
    'Query.customers': STAFF,
    'Query.viewer': EVERYONE,
    'Mutation.registerCustomer': STAFF,
    'Mutation.deactivateCustomer': STAFF,
    // Erasure is irreversible: an admin's decision (GDPR Art. 17 requests go through the operator).
    'Mutation.forgetCustomer': ADMIN,
  },
  resolvers: ({ store, commands }) => ({
    ...customerResolvers(customerCommands(store, commands)),
    ...customerEventResolvers,
  }),
  nodes: [{ typename: 'Customer', load: (context, id) => customerLoader(context).load(id) }],
  live: [],
};
