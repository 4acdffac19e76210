import type { CustomerRecord } from './read-model';
import type { CustomerState } from './state';

/** A customer from the query table carries its order figures; one folded from its stream does not. */
export type CustomerModel = CustomerState & Partial<Pick<CustomerRecord, 'orderCount' | 'lifetimeTotals'>>;
