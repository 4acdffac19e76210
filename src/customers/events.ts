import { z } from 'zod';
import type { EventSchemas } from '../eventstore/upcasting';
import { eventDecoder, type EventsOf } from '../commands/event-decoder';

export const CUSTOMER = 'Customer';

/** Each customer event's payload as it is now (CUSTOMER_EVENT_SCHEMAS): the events' types are read off these. */
const CUSTOMER_PAYLOADS = {
  // Personal fields read as null once their customer is forgotten (the store serves them so).
  CustomerRegistered: z.object({ name: z.string().nullable(), email: z.string().nullable() }),
  CustomerDeactivated: z.object({ reason: z.string().nullish() }),
  /** The customer's personal data was erased (their data key deleted): see forgetCustomer. */
  CustomerForgotten: z.object({}),
};

export type CustomerEvent = EventsOf<typeof CUSTOMER_PAYLOADS>;

/** Every customer event type. */
export const CUSTOMER_EVENT_TYPES = Object.keys(CUSTOMER_PAYLOADS) as readonly CustomerEvent['type'][];

/** A customer's name and email identify them; a deactivation's reason is free text about them. */
export const CUSTOMER_PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  CustomerRegistered: ['name', 'email'],
  CustomerDeactivated: ['reason'],
};

/** Every customer event is still at schema version 1. */
export const CUSTOMER_EVENT_SCHEMAS: EventSchemas = {};

/** A customer event as the store hands it over (upcast), checked against its type; throws on anything else. */
export const decodeCustomerEvent = eventDecoder(CUSTOMER, CUSTOMER_PAYLOADS, CUSTOMER_EVENT_SCHEMAS);
