import type { Resolvers } from '../generated/graphql';
import { eventPayloads } from '../graphql-kit/event-payloads';
import { decodeCustomerEvent } from './events';

const payload = eventPayloads(decodeCustomerEvent);
const registered = payload('CustomerRegistered');
const deactivated = payload('CustomerDeactivated');

/** The customer events' typed fields, read from their payloads (their envelope fields are the Event interface's). */
export const customerEventResolvers: Resolvers = {
  CustomerRegistered: {
    name: (event) => registered(event).name,
    email: (event) => registered(event).email,
  },
  CustomerDeactivated: {
    reason: (event) => deactivated(event).reason ?? null,
  },
};
