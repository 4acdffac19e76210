import type { CommandOutcome } from '../commands/handle-command';
import type { CustomerRecord } from '../customers/read-model';
import type { CustomerView } from '../customers/view';
import type { StoredEvent } from '../eventstore/types';
import type { OrderRecord } from '../orders/read-model';
import type { OrderView } from '../orders/view';

/** What resolvers hand to the GraphQL object types that have no domain type of their own. */
export type EventConnectionModel = { events: StoredEvent[]; hasNextPage: boolean };
export type OrderConnectionModel = { orders: OrderRecord[]; hasNextPage: boolean };
/** A customer from the query table carries its order figures; one folded from its stream does not. */
export type CustomerModel = CustomerView & Partial<Pick<CustomerRecord, 'orderCount' | 'lifetimeTotals'>>;
export type OrderCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & { order: OrderView };
export type CustomerCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & {
  customer: CustomerModel;
};
