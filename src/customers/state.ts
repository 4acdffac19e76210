import type { CustomerEvent } from './events';

export type CustomerState =
  { exists: false } | { exists: true; name: string; email: string; active: boolean; deactivationReason?: string };

export const initialCustomerState: CustomerState = { exists: false };

export function evolveCustomer(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered':
      return { exists: true, name: event.data.name, email: event.data.email, active: true };
    case 'CustomerDeactivated':
      if (!state.exists) return state;
      return { ...state, active: false, deactivationReason: event.data.reason };
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled customer event: ${JSON.stringify(value)}`);
}
