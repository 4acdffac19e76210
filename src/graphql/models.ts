import type { CommandOutcome } from '../commands/handle-command';
import type { CustomerRecord } from '../customers/read-model';
import type { CustomerState } from '../customers/state';
import type { StoredEvent } from '../eventstore/types';
import type { OrderPage } from '../orders/read-model';
import type { OrderState } from '../orders/state';

/** What resolvers hand to the GraphQL object types that have no domain type of their own. */
export type EventConnectionModel = { events: StoredEvent[]; hasNextPage: boolean; hasPreviousPage: boolean };
export type OrderConnectionModel = OrderPage;
/** A customer from the query table carries its order figures; one folded from its stream does not. */
export type CustomerModel = CustomerState & Partial<Pick<CustomerRecord, 'orderCount' | 'lifetimeTotals'>>;
export type OrderCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & { order: OrderState };
export type CustomerCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & {
  customer: CustomerModel;
};
