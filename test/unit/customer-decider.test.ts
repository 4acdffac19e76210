import { decideCustomer, type CustomerCommand } from '../../src/customers/decide';
import type { CustomerEvent } from '../../src/customers/events';
import { evolveCustomer, initialCustomerState, type CustomerState } from '../../src/customers/state';
import { InvalidInput, NotFound, RuleViolation } from '../../src/shared/errors';

// given events / when command / then events or error

function given(...events: CustomerEvent[]): CustomerState {
  return events.reduce(evolveCustomer, initialCustomerState);
}

function when(state: CustomerState, command: CustomerCommand): () => CustomerEvent[] {
  return () => decideCustomer(command, state);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the command to be refused, but it was accepted');
}

function expectInvalidInput(fn: () => unknown, field: string): void {
  const error = caught(fn);
  expect(error).toBeInstanceOf(InvalidInput);
  expect(error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field } });
}

function expectRuleViolation(fn: () => unknown, rule: string): void {
  const error = caught(fn);
  expect(error).toBeInstanceOf(RuleViolation);
  expect(error).not.toBeInstanceOf(NotFound);
  expect(error).toMatchObject({ code: 'BUSINESS_RULE_VIOLATION', rule, details: { rule } });
}

const registered: CustomerEvent = {
  type: 'CustomerRegistered',
  data: { name: 'Ada Lovelace', email: 'ada@example.com' },
};
const deactivated: CustomerEvent = { type: 'CustomerDeactivated', data: { reason: 'moved away' } };

const register = (name: string, email: string): CustomerCommand => ({ type: 'RegisterCustomer', name, email });
const deactivate = (reason?: string): CustomerCommand =>
  reason === undefined ? { type: 'DeactivateCustomer' } : { type: 'DeactivateCustomer', reason };

describe('customer decider', () => {
  describe('registerCustomer', () => {
    it('registers a new customer with a well-formed email', () => {
      expect(when(given(), register('Ada Lovelace', 'ada@example.com'))()).toEqual([
        { type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.com' } },
      ]);
    });

    it('trims the name and trims and lower-cases the email', () => {
      expect(when(given(), register('  Ada Lovelace \t', '  Ada@Example.COM '))()).toEqual([
        { type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.com' } },
      ]);
    });

    it.each(['a@b.co', 'first.last+tag@sub.example.org', 'x_y-z@example.co.uk'])(
      'accepts the well-formed email %p',
      (email) => {
        const events = when(given(), register('Ada', email))();
        expect(events).toEqual([{ type: 'CustomerRegistered', data: { name: 'Ada', email } }]);
      },
    );

    it.each([
      ['an empty string', ''],
      ['only spaces', '   '],
      ['no at sign', 'ada.example.com'],
      ['no local part', '@example.com'],
      ['no domain', 'ada@'],
      ['no dot in the domain', 'ada@example'],
      ['two at signs', 'ada@@example.com'],
      ['an at sign in the domain', 'ada@exa@mple.com'],
      ['a space in the local part', 'ada lovelace@example.com'],
      ['a space in the domain', 'ada@exa mple.com'],
      ['nothing after the last dot', 'ada@example.'],
      ['nothing before the domain dot', 'ada@.com'],
    ])('rejects an email with %s', (_label, email) => {
      expectInvalidInput(when(given(), register('Ada', email)), 'email');
    });

    it('rejects an empty name', () => {
      expectInvalidInput(when(given(), register('', 'ada@example.com')), 'name');
    });

    it('rejects a name made only of whitespace', () => {
      expectInvalidInput(when(given(), register(' \t\n ', 'ada@example.com')), 'name');
    });

    it('accepts a name of 200 characters and rejects one of 201', () => {
      expect(when(given(), register('a'.repeat(200), 'ada@example.com'))()).toHaveLength(1);
      expectInvalidInput(when(given(), register('a'.repeat(201), 'ada@example.com')), 'name');
    });

    it('rejects registering a customer that is already registered', () => {
      expectRuleViolation(when(given(registered), register('Ada', 'ada@example.com')), 'CUSTOMER_ALREADY_REGISTERED');
    });

    it('rejects registering a customer that was registered and then deactivated', () => {
      expectRuleViolation(
        when(given(registered, deactivated), register('Ada', 'ada@example.com')),
        'CUSTOMER_ALREADY_REGISTERED',
      );
    });
  });

  describe('deactivateCustomer', () => {
    it('deactivates an active customer, with the reason trimmed', () => {
      expect(when(given(registered), deactivate('  moved away  '))()).toEqual([
        { type: 'CustomerDeactivated', data: { reason: 'moved away' } },
      ]);
    });

    it('deactivates an active customer without a reason when none is given', () => {
      expect(when(given(registered), deactivate())()).toEqual([{ type: 'CustomerDeactivated', data: {} }]);
    });

    it('omits a reason that is only whitespace', () => {
      const events = when(given(registered), deactivate('   '))();
      expect(events).toEqual([{ type: 'CustomerDeactivated', data: {} }]);
      expect(events[0]!.data).not.toHaveProperty('reason');
    });

    it('rejects deactivating a customer that is already deactivated', () => {
      expectRuleViolation(when(given(registered, deactivated), deactivate()), 'CUSTOMER_ALREADY_DEACTIVATED');
    });

    it('rejects deactivating a customer that was deactivated without a reason', () => {
      expectRuleViolation(
        when(given(registered, { type: 'CustomerDeactivated', data: {} }), deactivate('again')),
        'CUSTOMER_ALREADY_DEACTIVATED',
      );
    });

    it('rejects deactivating a customer that was never registered', () => {
      expectRuleViolation(when(given(), deactivate()), 'CUSTOMER_NOT_REGISTERED');
    });
  });

  describe('evolveCustomer', () => {
    it('folds registration and deactivation into an inactive customer that keeps its name and email', () => {
      expect(given(registered, deactivated)).toEqual({
        exists: true,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        active: false,
        deactivationReason: 'moved away',
      });
    });

    it('starts from a customer that does not exist', () => {
      expect(given()).toEqual({ exists: false });
    });
  });

  describe('purity', () => {
    it.each<[string, CustomerEvent[], CustomerCommand]>([
      ['registering', [], register('  Ada ', ' ADA@example.com ')],
      ['registering twice', [registered], register('Ada', 'ada@example.com')],
      ['registering with a bad email', [], register('Ada', 'nope')],
      ['deactivating', [registered], deactivate(' bye ')],
      ['deactivating twice', [registered, deactivated], deactivate()],
      ['deactivating an unknown customer', [], deactivate()],
    ])('does not mutate the given state or the command when %s', (_label, events, command) => {
      const state = given(...events);
      const stateBefore = structuredClone(state);
      const commandBefore = structuredClone(command);
      deepFreeze(state);
      deepFreeze(command);
      try {
        decideCustomer(command, state);
      } catch (error) {
        // Refusals are expected for some cases; a TypeError would mean the decider wrote to frozen input.
        expect(error).not.toBeInstanceOf(TypeError);
      }
      expect(state).toEqual(stateBefore);
      expect(command).toEqual(commandBefore);
    });

    it('returns the same events for the same state and command', () => {
      const state = given(registered);
      expect(decideCustomer(deactivate('x'), state)).toEqual(decideCustomer(deactivate('x'), state));
    });
  });
});
