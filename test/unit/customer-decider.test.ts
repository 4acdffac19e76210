import { decideCustomer, type CustomerCommand } from '../../src/customers/decide';
import type { CustomerEvent } from '../../src/customers/events';
import { evolveCustomer, type CustomerState } from '../../src/customers/state';
import { deciderSpec, invalidInput, recorded, ruleViolation, SPEC_AGGREGATE_ID } from '../support/decider-spec';

const customerDecider = {
  decide: decideCustomer,
  evolve: evolveCustomer,
  initialState: null,
  versionOf: (state: CustomerState | null) => state?.version ?? 0,
};
const { given } = deciderSpec(customerDecider);

const registered: CustomerEvent = {
  type: 'CustomerRegistered',
  data: { name: 'Ada Lovelace', email: 'ada@example.com' },
};
const deactivated: CustomerEvent = { type: 'CustomerDeactivated', data: { reason: 'moved away' } };
const forgotten: CustomerEvent = { type: 'CustomerForgotten', data: {} };
const forget: CustomerCommand = { type: 'ForgetCustomer' };

const register = (name: string, email: string): CustomerCommand => ({ type: 'RegisterCustomer', name, email });
const deactivate = (reason?: string): CustomerCommand =>
  reason === undefined ? { type: 'DeactivateCustomer' } : { type: 'DeactivateCustomer', reason };

describe('customer decider', () => {
  describe('registerCustomer', () => {
    it('registers a new customer with a well-formed email', () => {
      given()
        .when(register('Ada Lovelace', 'ada@example.com'))
        .thenEvents([{ type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.com' } }]);
    });

    it('trims the name and trims and lower-cases the email', () => {
      given()
        .when(register('  Ada Lovelace \t', '  Ada@Example.COM '))
        .thenEvents([{ type: 'CustomerRegistered', data: { name: 'Ada Lovelace', email: 'ada@example.com' } }]);
    });

    it.each(['a@b.co', 'first.last+tag@sub.example.org', 'x_y-z@example.co.uk'])(
      'accepts the well-formed email %p',
      (email) => {
        const events = given().when(register('Ada', email)).events();
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
      given().when(register('Ada', email)).thenRefused(invalidInput('email'));
    });

    it('rejects an empty name', () => {
      given().when(register('', 'ada@example.com')).thenRefused(invalidInput('name'));
    });

    it('rejects a name made only of whitespace', () => {
      given().when(register(' \t\n ', 'ada@example.com')).thenRefused(invalidInput('name'));
    });

    it('accepts a name of 200 characters and rejects one of 201', () => {
      expect(
        given()
          .when(register('a'.repeat(200), 'ada@example.com'))
          .events(),
      ).toHaveLength(1);
      given()
        .when(register('a'.repeat(201), 'ada@example.com'))
        .thenRefused(invalidInput('name'));
    });

    it('rejects registering a customer that is already registered', () => {
      given(registered)
        .when(register('Ada', 'ada@example.com'))
        .thenRefused(ruleViolation('CUSTOMER_ALREADY_REGISTERED'));
    });

    it('rejects registering a customer that was registered and then deactivated', () => {
      given(registered, deactivated)
        .when(register('Ada', 'ada@example.com'))
        .thenRefused(ruleViolation('CUSTOMER_ALREADY_REGISTERED'));
    });
  });

  describe('deactivateCustomer', () => {
    it('deactivates an active customer, with the reason trimmed', () => {
      given(registered)
        .when(deactivate('  moved away  '))
        .thenEvents([{ type: 'CustomerDeactivated', data: { reason: 'moved away' } }]);
    });

    it('deactivates an active customer without a reason when none is given', () => {
      given(registered)
        .when(deactivate())
        .thenEvents([{ type: 'CustomerDeactivated', data: {} }]);
    });

    it('omits a reason that is only whitespace', () => {
      const events = given(registered).when(deactivate('   ')).events();
      expect(events).toEqual([{ type: 'CustomerDeactivated', data: {} }]);
      expect(events[0]!.data).not.toHaveProperty('reason');
    });

    it('rejects deactivating a customer that is already deactivated', () => {
      given(registered, deactivated).when(deactivate()).thenRefused(ruleViolation('CUSTOMER_ALREADY_DEACTIVATED'));
    });

    it('rejects deactivating a customer that was deactivated without a reason', () => {
      given(registered, { type: 'CustomerDeactivated', data: {} })
        .when(deactivate('again'))
        .thenRefused(ruleViolation('CUSTOMER_ALREADY_DEACTIVATED'));
    });

    it('rejects deactivating a customer that was never registered', () => {
      given().when(deactivate()).thenRefused(ruleViolation('CUSTOMER_NOT_REGISTERED'));
    });
  });

  describe('forgetCustomer', () => {
    it('forgets a registered customer, active or not', () => {
      given(registered).when(forget).thenEvents([forgotten]);
      given(registered, deactivated).when(forget).thenEvents([forgotten]);
    });

    it('records nothing more for a customer already forgotten', () => {
      given(registered, forgotten).when(forget).thenEvents([]);
    });

    it('rejects forgetting a customer that was never registered', () => {
      given().when(forget).thenRefused(ruleViolation('CUSTOMER_NOT_REGISTERED'));
    });
  });

  describe('evolveCustomer', () => {
    it('folds registration and deactivation into an inactive customer that keeps its name, email and registration', () => {
      const registeredAt = recorded(registered, 1).timestamp;
      const deactivatedAt = recorded(deactivated, 2).timestamp;
      expect(given(registered, deactivated).state).toEqual({
        id: SPEC_AGGREGATE_ID,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        active: false,
        deactivationReason: 'moved away',
        version: 2,
        registeredAt,
        updatedAt: deactivatedAt,
        deactivatedAt,
        forgottenAt: null,
      });
    });

    it('folds a forgotten customer without name, email or reason, keeping the rest', () => {
      const forgottenAt = recorded(forgotten, 3).timestamp;
      expect(given(registered, deactivated, forgotten).state).toMatchObject({
        name: null,
        email: null,
        active: false,
        deactivationReason: null,
        version: 3,
        registeredAt: recorded(registered, 1).timestamp,
        forgottenAt,
      });
    });

    it('keeps no reason for a deactivation without one', () => {
      expect(given(registered, { type: 'CustomerDeactivated', data: {} }).state).toMatchObject({
        active: false,
        deactivationReason: null,
      });
    });

    it('starts from a customer that does not exist, and a deactivation does not make one', () => {
      expect(given().state).toBeNull();
      expect(given(deactivated).state).toBeNull();
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
      given(...events)
        .when(command)
        .thenInputsUnchanged();
    });

    it('returns the same events for the same state and command', () => {
      const { state } = given(registered);
      expect(decideCustomer(deactivate('x'), state)).toEqual(decideCustomer(deactivate('x'), state));
    });
  });
});
