import { InvalidInput, RuleViolation } from '../shared/errors';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from '../shared/input-limits';
import { optionalText, requireText } from '../shared/text';
import type { CustomerEvent } from './events';
import type { CustomerState } from './state';

export type RegisterCustomer = { type: 'RegisterCustomer'; name: string; email: string };
export type DeactivateCustomer = { type: 'DeactivateCustomer'; reason?: string };
export type ForgetCustomer = { type: 'ForgetCustomer' };
export type CustomerCommand = RegisterCustomer | DeactivateCustomer | ForgetCustomer;

/**
 * Deliberately modest: one "@" with something before it, no whitespace, a dot in the domain with something on
 * both sides. Full RFC 5322 accepts addresses no mail system delivers to, and stricter patterns reject real ones.
 * Written as index look-ups rather than a regular expression, whose backtracking was quadratic on inputs such as
 * "a@" + "a.".repeat(n) + "@": this is one pass over the string.
 */
export function wellFormedEmail(email: string): boolean {
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@') || /\s/.test(email)) return false;
  const dot = email.lastIndexOf('.');
  return dot > at + 1 && dot < email.length - 1;
}

export function decideCustomer(
  command: CustomerCommand,
  state: CustomerState | null,
  limits: InputLimits = DEFAULT_INPUT_LIMITS,
): CustomerEvent[] {
  switch (command.type) {
    case 'RegisterCustomer': {
      if (state) throw new RuleViolation('CUSTOMER_ALREADY_REGISTERED', 'The customer is already registered');
      const name = requireText(command.name, 'name', { max: limits.nameLength });
      // Lower-cased before it is measured: some characters lengthen (İ becomes two), and the bound is on what is stored.
      const email = requireText(command.email.toLowerCase(), 'email', { max: limits.emailLength });
      if (!wellFormedEmail(email)) throw new InvalidInput(`email "${email}" is not a well-formed address`, 'email');
      return [{ type: 'CustomerRegistered', data: { name, email } }];
    }
    case 'DeactivateCustomer': {
      if (!state) throw new RuleViolation('CUSTOMER_NOT_REGISTERED', 'The customer is not registered');
      if (!state.active) {
        throw new RuleViolation('CUSTOMER_ALREADY_DEACTIVATED', 'The customer is already deactivated');
      }
      const reason = optionalText(command.reason, 'reason', { max: limits.reasonLength, multiline: true });
      return [{ type: 'CustomerDeactivated', data: reason ? { reason } : {} }];
    }
    case 'ForgetCustomer':
      if (!state) throw new RuleViolation('CUSTOMER_NOT_REGISTERED', 'The customer is not registered');
      // Forgetting again records nothing more.
      return state.forgottenAt ? [] : [{ type: 'CustomerForgotten', data: {} }];
    default:
      return assertNever(command);
  }
}

function assertNever(value: never): never {
  throw new Error(`Unhandled customer command: ${JSON.stringify(value)}`);
}
