import { customersSlice } from './customers';
import { ordersSlice } from './orders';
import type { EventSchemas, PersonalFields } from './eventstore';
import type { Projector } from './projections/types';
import type { Slice } from './slice';

/** Every slice of the domain: the one list the app, the schema and the projections CLI read. */
export const SLICES: readonly Slice[] = [ordersSlice, customersSlice];

/** Every projector the app runs. A new one catches up from the start of the log on its first start. */
export const PROJECTORS: readonly Projector[] = SLICES.flatMap((slice) => slice.projectors);

/** Every slice's event schemas: what the event store writes and reads events as. */
export const EVENT_SCHEMAS: EventSchemas = Object.assign({}, ...SLICES.map((slice) => slice.events));

/**
 * Every slice's personal fields, by event type (event types are unique across slices): what the event store encrypts
 * under a customer's key and forgets with it, and what the bus leaves out.
 */
export const PERSONAL_FIELDS: PersonalFields = Object.assign({}, ...SLICES.map((slice) => slice.personalFields));
