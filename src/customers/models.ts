import type { CommandOutcome } from '../commands/handle-command';
import type { CustomerRecord } from './read-model';
import type { CustomerState } from './state';

/** A customer from the query table carries its order figures; one folded from its stream does not. */
export type CustomerModel = CustomerState & Partial<Pick<CustomerRecord, 'orderCount' | 'lifetimeTotals'>>;
export type CustomerCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & {
  customer: CustomerModel;
};
