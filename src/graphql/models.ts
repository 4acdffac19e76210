import type { StoredEvent } from '../eventstore/types';

/** What the events query hands to EventConnection, which has no domain type of its own. */
export type EventConnectionModel = { events: StoredEvent[]; hasNextPage: boolean; hasPreviousPage: boolean };
