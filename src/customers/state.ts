import type { Recorded } from '../commands/event-decoder';
import type { CustomerEvent } from './events';

/**
 * A customer as clients read it and as the decider judges it (null until it is registered): one fold of its stream
 * serves the command side, its snapshots and the query table.
 */
export type CustomerState = {
  id: string;
  name: string;
  email: string;
  active: boolean;
  deactivationReason: string | null;
  version: number;
  registeredAt: Date;
  updatedAt: Date;
  deactivatedAt: Date | null;
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
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled customer event: ${JSON.stringify(value)}`);
}
