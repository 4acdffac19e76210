import type { Recorded } from '../commands/event-decoder';
import type { CustomerEvent } from './events';

/**
 * A customer as clients read it and as the decider judges it (null until it is registered): one fold of its stream
 * serves the command side, its snapshots and the query table.
 */
export type CustomerState = {
  id: string;
  /** Null once the customer is forgotten. */
  name: string | null;
  email: string | null;
  active: boolean;
  deactivationReason: string | null;
  version: number;
  registeredAt: Date;
  updatedAt: Date;
  deactivatedAt: Date | null;
  /** When the customer's personal data was erased (forgetCustomer); they can place no more orders. */
  forgottenAt: Date | null;
};

export function evolveCustomer(state: CustomerState | null, event: Recorded<CustomerEvent>): CustomerState | null {
  const at = event.timestamp;
  switch (event.type) {
    case 'CustomerRegistered':
      return {
        id: event.aggregateId,
        name: event.data.name,
        email: event.data.email,
        active: true,
        deactivationReason: null,
        version: event.version,
        registeredAt: at,
        updatedAt: at,
        deactivatedAt: null,
        forgottenAt: null,
      };
    case 'CustomerDeactivated':
      if (!state) return null;
      return {
        ...state,
        active: false,
        deactivationReason: event.data.reason ?? null,
        version: event.version,
        updatedAt: at,
        deactivatedAt: at,
      };
    case 'CustomerForgotten':
      if (!state) return null;
      // Their events read as null from now on, but a state folded before (a query table row) still holds them.
      return {
        ...state,
        name: null,
        email: null,
        deactivationReason: null,
        version: event.version,
        updatedAt: at,
        forgottenAt: at,
      };
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled customer event: ${JSON.stringify(value)}`);
}
