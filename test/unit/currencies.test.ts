import fs from 'node:fs';
import { buildSchema, type GraphQLEnumType } from 'graphql';
import { loadConfig } from '../../src/config';
import type { CurrencyCode as ApiCurrencyCode } from '../../src/generated/graphql';
import { validCurrency } from '../../src/orders/decide';
import { SCHEMA_FILE } from '../../src/graphql/schema';
import { CURRENCY_CODES, WITHDRAWN_CURRENCIES, type CurrencyCode } from '../../src/shared/currencies';
import { InvalidInput } from '../../src/shared/errors';

// The CurrencyCode enum of schema.graphql, the domain's list (src/shared/currencies.ts) and the runtime's Intl must
// say the same: a Node.js upgrade whose ICU adds or drops a code fails here, and the list and the enum are
// brought along together.

// The generated type (from the enum) and the domain's (from the list) are one type, or this does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameType: Same<ApiCurrencyCode, CurrencyCode> = true;

const currencyEnum = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8')).getType('CurrencyCode') as GraphQLEnumType;

it('gives the enum exactly the list’s codes, in its order', () => {
  expect(sameType).toBe(true);
  expect(currencyEnum.getValues().map((v) => v.name)).toEqual([...CURRENCY_CODES]);
});

it('deprecates in the enum exactly the withdrawn codes, saying what replaced each', () => {
  const deprecated = currencyEnum.getValues().filter((v) => v.deprecationReason);
  expect(deprecated.map((v) => v.name)).toEqual(Object.keys(WITHDRAWN_CURRENCIES).sort());
  for (const value of deprecated) {
    expect(value.deprecationReason).toContain(WITHDRAWN_CURRENCIES[value.name as CurrencyCode]);
  }
});

it('lists every code this runtime’s Intl knows, and no other but a withdrawn one it has dropped', () => {
  const intl = Intl.supportedValuesOf('currency');
  const listed = new Set<string>(CURRENCY_CODES);
  expect(intl.filter((code) => !listed.has(code))).toEqual([]);
  expect(CURRENCY_CODES.filter((code) => !intl.includes(code) && !WITHDRAWN_CURRENCIES[code])).toEqual([]);
});

describe('what an order may be in', () => {
  it.each(['EUR', 'JPY', 'KWD', 'XCG'])('takes %s', (code) => {
    expect(validCurrency(code)).toBe(code);
  });

  it.each([
    ['a withdrawn code', 'HRK', /HRK is no longer in use \(replaced by EUR in 2023\)/],
    ['a code in lower case', 'eur', /must be an ISO 4217 code/],
    ['no code at all', 'ABC', /must be an ISO 4217 code/],
  ])('refuses %s (%s), naming the field', (_label, code, message) => {
    expect(() => validCurrency(code)).toThrow(message);
    expect(() => validCurrency(code)).toThrow(expect.objectContaining({ details: { field: 'currency' } }));
    expect(() => validCurrency(code)).toThrow(InvalidInput);
  });
});

describe('DEFAULT_CURRENCY', () => {
  it('takes a current code', () => {
    expect(loadConfig({ DEFAULT_CURRENCY: 'JPY' }).defaultCurrency).toBe('JPY');
  });

  it.each(['HRK', 'eur', 'ABC', ''])('refuses %p at startup', (code) => {
    expect(() => loadConfig({ DEFAULT_CURRENCY: code })).toThrow(/DEFAULT_CURRENCY: must be a current ISO 4217 code/);
  });
});
