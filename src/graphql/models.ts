import type { CommandOutcome } from '../commands/handle-command';
import type { CustomerView } from '../customers/view';
import type { StoredEvent } from '../eventstore/types';
import type { OrderView } from '../orders/view';

/** What resolvers hand to the GraphQL object types that have no domain type of their own. */
export type EventConnectionModel = { events: StoredEvent[]; hasNextPage: boolean };
export type OrderCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & { order: OrderView };
export type CustomerCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & {
  customer: CustomerView;
};
