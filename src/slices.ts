import { customersSlice } from './customers';
import { ordersSlice } from './orders';
import type { EventSchemas, PersonalFields } from './eventstore';
import type { Projector } from './projections/types';
import type { Reactor } from './reactions/types';
import { scheduledCommandsProjector } from './scheduling/projector';
import type { Deadline } from './scheduling/types';
import type { Slice } from './slice';

/** Every slice of the domain: the one list the app, the schema and the projections CLI read. */
export const SLICES: readonly Slice[] = [ordersSlice, customersSlice];

/** Every deadline the app schedules and sends. */
export const DEADLINES: readonly Deadline[] = SLICES.flatMap((slice) => slice.deadlines);

/**
 * Every projector the app runs. A new one catches up from the start of the log on its first start. scheduled_commands
 * is kept by one projector for every slice's deadlines.
 */
export const PROJECTORS: readonly Projector[] = [
  ...SLICES.flatMap((slice) => slice.projectors),
  scheduledCommandsProjector(DEADLINES),
];

/**
 * Every reactor the app runs. A new one starts at the beginning of the log, as a projector does: its rule holds for
 * every event already recorded too (an upgrade cancels the open orders of customers deactivated before it).
 */
export const REACTORS: readonly Reactor[] = SLICES.flatMap((slice) => slice.reactors);

/** Every slice's event schemas: what the event store writes and reads events as. */
export const EVENT_SCHEMAS: EventSchemas = Object.assign({}, ...SLICES.map((slice) => slice.events));

/**
 * Every slice's personal fields, by event type (event types are unique across slices): what the event store encrypts
 * under a customer's key and forgets with it, and what the bus leaves out.
 */
export const PERSONAL_FIELDS: PersonalFields = Object.assign({}, ...SLICES.map((slice) => slice.personalFields));
