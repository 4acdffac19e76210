import { InvalidInput, RuleViolation } from '../shared/errors';
import type { CustomerEvent } from './events';
import type { CustomerState } from './state';

export type RegisterCustomer = { type: 'RegisterCustomer'; name: string; email: string };
export type DeactivateCustomer = { type: 'DeactivateCustomer'; reason?: string };
export type CustomerCommand = RegisterCustomer | DeactivateCustomer;

// Deliberately modest: one "@", no spaces, a dot in the domain. Full RFC 5322 accepts addresses no mail system
// delivers to, and stricter patterns reject real ones.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_NAME = 200;

export function decideCustomer(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  switch (command.type) {
    case 'RegisterCustomer': {
      if (state.exists) throw new RuleViolation('CUSTOMER_ALREADY_REGISTERED', 'The customer is already registered');
      const name = command.name.trim();
      const email = command.email.trim().toLowerCase();
      if (name.length === 0) throw new InvalidInput('name must not be empty', 'name');
      if (name.length > MAX_NAME) throw new InvalidInput(`name may have at most ${MAX_NAME} characters`, 'name');
      if (!EMAIL.test(email)) throw new InvalidInput(`email "${command.email}" is not a well-formed address`, 'email');
      return [{ type: 'CustomerRegistered', data: { name, email } }];
    }
    case 'DeactivateCustomer': {
      if (!state.exists) throw new RuleViolation('CUSTOMER_NOT_REGISTERED', 'The customer is not registered');
      if (!state.active) {
        throw new RuleViolation('CUSTOMER_ALREADY_DEACTIVATED', 'The customer is already deactivated');
      }
      const reason = command.reason?.trim();
      return [{ type: 'CustomerDeactivated', data: reason ? { reason } : {} }];
    }
    default:
      return assertNever(command);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled customer command: ${JSON.stringify(value)}`);
}
