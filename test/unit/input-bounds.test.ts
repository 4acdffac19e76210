import { parse } from 'graphql';
import { loadConfig } from '../../src/config';
import type { CustomerState } from '../../src/customers/state';
import { decideCustomer, wellFormedEmail } from '../../src/customers/decide';
import { decideOrder } from '../../src/orders/decide';
import { decodeCursor } from '../../src/graphql-kit/cursor';
import { inputHygiene } from '../../src/edge/input-hygiene';
import type { GuardedOperation } from '../../src/edge/operation-guards';
import { InvalidInput } from '../../src/shared/errors';
import { DEFAULT_INPUT_LIMITS, GRAPHQL_INT_MAX, unsafeLimits } from '../../src/shared/input-limits';
import { parsePrice } from '../../src/shared/money';
import { requireId, requireText, unacceptableCharacter } from '../../src/shared/text';

const MB = 2 ** 20;
const activeCustomer: CustomerState = {
  id: 'c',
  name: 'A',
  email: 'a@example.com',
  active: true,
  deactivationReason: null,
  version: 1,
  registeredAt: new Date(0),
  updatedAt: new Date(0),
  deactivatedAt: null,
  forgottenAt: null,
};

/** Hostile shapes for a 1 MB string: the classic backtracking traps and characters that are costly to scan. */
const ADVERSARIAL: Record<string, string> = {
  'repeated "a."': `a@${'a.'.repeat(MB / 2)}@`,
  'all spaces': ' '.repeat(MB),
  'surrogate pairs': '😀'.repeat(MB / 2),
  'alternating surrogates': '\ud800\udc00\ud800'.repeat(MB / 3),
  digits: '9'.repeat(MB),
  'at signs': '@'.repeat(MB),
};

/** Every validator the API's input passes through, each given the whole string. */
const VALIDATORS: Record<string, (s: string) => unknown> = {
  email: (s) => decideCustomer({ type: 'RegisterCustomer', name: 'A', email: s }, null),
  name: (s) => decideCustomer({ type: 'RegisterCustomer', name: s, email: 'a@example.com' }, null),
  'deactivation reason': (s) => decideCustomer({ type: 'DeactivateCustomer', reason: s }, activeCustomer),
  'product id': (s) =>
    decideOrder(
      {
        type: 'PlaceOrder',
        customerId: 'c',
        customer: activeCustomer,
        items: [{ productId: s, quantity: 1, unitPrice: '1' }],
        currency: 'EUR',
      },
      null,
    ),
  'unit price': (s) => parsePrice(s, 'unitPrice', DEFAULT_INPUT_LIMITS.unitPrice),
  id: (s) => requireId(s, 'commandId', DEFAULT_INPUT_LIMITS.idLength),
  cursor: (s) => decodeCursor(s),
  'variables hygiene': (s) => inputHygiene(operation({ input: { name: s } })),
};

/**
 * The checks behind the length caps, called on the whole string: a cap refuses 1 MB at once, so without these a
 * super-linear check could come back unnoticed (and MAX_*_LENGTH may be raised).
 */
const UNCAPPED: Record<string, (s: string) => unknown> = {
  'email shape': wellFormedEmail,
  character: (s) => unacceptableCharacter(s, true),
};

function operation(variables: Record<string, unknown>): GuardedOperation {
  const document = parse('query { __typename }');
  return {
    document,
    variables,
    operation: document.definitions[0] as never,
    schema: undefined as never,
    context: undefined as never,
  };
}

describe('validation is linear in its input', () => {
  for (const [validator, validate] of Object.entries(VALIDATORS)) {
    for (const [shape, input] of Object.entries(ADVERSARIAL)) {
      it(`the ${validator} check refuses a 1 MB string of ${shape} in well under a second`, () => {
        const started = performance.now();
        let refused: unknown;
        try {
          validate(input);
        } catch (error) {
          refused = error;
        }
        const elapsed = performance.now() - started;
        // Linear checks take a few milliseconds here; the quadratic email pattern took minutes on 1 MB.
        expect(elapsed).toBeLessThan(1000);
        if (validator !== 'variables hygiene' || shape === 'alternating surrogates')
          expect(refused).toBeInstanceOf(InvalidInput);
      });
    }
  }

  for (const [check, run] of Object.entries(UNCAPPED)) {
    for (const [shape, input] of Object.entries(ADVERSARIAL)) {
      it(`the ${check} check, without a length cap, reads a 1 MB string of ${shape} in well under a second`, () => {
        const started = performance.now();
        run(input);
        expect(performance.now() - started).toBeLessThan(1000);
      });
    }
  }

  it('refuses variables nested 100,000 deep without overflowing the stack', () => {
    let deep: unknown = 'a\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => inputHygiene(operation({ deep }))).toThrow(/NUL/);
  });
});

describe('text fields', () => {
  it('trims surrounding whitespace, line breaks included, before judging the characters', () => {
    expect(requireText('\t Ada \n', 'name', { max: 10 })).toBe('Ada');
  });
  it('refuses a line break inside a single-line field but keeps it in a multi-line one', () => {
    expect(() => requireText('a\nb', 'name', { max: 10 })).toThrow(/line break/);
    expect(requireText('a\nb', 'reason', { max: 10, multiline: true })).toBe('a\nb');
  });
  it('refuses text longer than the limit as sent, before trimming', () => {
    expect(() => requireText(`${' '.repeat(10)}a`, 'name', { max: 10 })).toThrow(/at most 10/);
  });
  it('accepts characters outside the Basic Multilingual Plane, as surrogate pairs', () => {
    expect(requireText('Zoë 😀', 'name', { max: 10 })).toBe('Zoë 😀');
  });
  it.each(['\ud83d', '\ude00x', 'x\ud83d'])('refuses the lone surrogate in %j', (text) => {
    expect(() => requireText(text, 'name', { max: 10 })).toThrow(/surrogate/);
  });
});

describe('limits that every read model can hold', () => {
  it('admits no order whose item count a GraphQL Int cannot carry', () => {
    expect(unsafeLimits(DEFAULT_INPUT_LIMITS)).toBeUndefined();
    expect(DEFAULT_INPUT_LIMITS.quantity * DEFAULT_INPUT_LIMITS.itemsPerOrder).toBeLessThanOrEqual(GRAPHQL_INT_MAX);
    expect(unsafeLimits({ ...DEFAULT_INPUT_LIMITS, quantity: 2 ** 30, itemsPerOrder: 2 })).toMatch(/GraphQL Int/);
  });
  it('refuses to start with limits a read model could not hold, naming the variables', () => {
    expect(() => loadConfig({ MAX_QUANTITY: '1000000', MAX_ITEMS_PER_ORDER: '10000' })).toThrow(
      /MAX_QUANTITY and MAX_ITEMS_PER_ORDER/,
    );
  });
  it('reads the input limits from the environment', () => {
    const config = loadConfig({ MAX_NAME_LENGTH: '20', MAX_UNIT_PRICE: '99.5' });
    expect(config.inputLimits).toMatchObject({ nameLength: 20, unitPrice: '99.50' });
  });
  it('refuses a unit price above the configured maximum and accepts the maximum itself', () => {
    const limits = { ...DEFAULT_INPUT_LIMITS, unitPrice: '10.00' };
    const place = (unitPrice: string) =>
      decideOrder(
        {
          type: 'PlaceOrder',
          customerId: 'c',
          customer: activeCustomer,
          items: [{ productId: 'p', quantity: 1, unitPrice }],
          currency: 'EUR',
        },
        null,
        limits,
      );
    expect(() => place('10.01')).toThrow(/at most 10.00/);
    expect(place('10')[0]).toMatchObject({ data: { totalAmount: '10.00' } });
  });
});

describe('read filters', () => {
  it('refuses the HTTP timeouts when the headers would be due after the whole request', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS and HTTP_REQUEST_TIMEOUT_MS/,
    );
  });
});
