import DecimalJs from 'decimal.js';
import { z } from 'zod';
import { InvalidInput } from './errors';

/**
 * Money is a decimal string with exactly two fraction digits ("59.98"). decimal.js does the arithmetic so that
 * 2 × 29.99 is 59.98, never 59.980000000000004; strings keep the value exact in JSON payloads and on the wire.
 */
export type Money = string;

/** Money as events carry it: the text parsePrice, multiply and sum write, whatever its size. */
export const moneySchema = z.string().regex(/^-?\d+\.\d{2}$/, 'expected an amount with two decimals, such as "12.50"');

/**
 * decimal.js rounds every result to `precision` significant digits (20 by default), which a customer's lifetime
 * total could outgrow: 60 digits stays exact for any sum of amounts the input limits admit.
 */
export const Decimal = DecimalJs.clone({ precision: 60 });

const TWO_PLACES = 2;
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
/** Longer than any amount the limits admit, short enough that nothing below looks at a huge string. */
const MAX_AMOUNT_TEXT = 40;

/** Parses a price: a finite, non-negative amount with at most two decimals, and at most `max`. */
export function parsePrice(raw: string, field: string, max?: Money): Money {
  if (raw.length > MAX_AMOUNT_TEXT) {
    throw new InvalidInput(`${field} must be a decimal amount of at most ${MAX_AMOUNT_TEXT} characters`, field);
  }
  // Plain decimal notation only: decimal.js would also read "0x10" or "1e2", silently changing what was typed.
  if (!DECIMAL_TEXT.test(raw)) throw new InvalidInput(`${field} must be a decimal amount, got "${raw}"`, field);
  const value = new Decimal(raw);
  if (value.isNegative() && !value.isZero()) throw new InvalidInput(`${field} must not be negative, got ${raw}`, field);
  if (value.decimalPlaces() > TWO_PLACES) {
    throw new InvalidInput(`${field} may have at most 2 decimals, got ${raw}`, field);
  }
  if (max !== undefined && value.greaterThan(max))
    throw new InvalidInput(`${field} may be at most ${max}, got ${raw}`, field);
  return value.toFixed(TWO_PLACES);
}

export function multiply(amount: Money, quantity: number): Money {
  return new Decimal(amount).times(quantity).toFixed(TWO_PLACES);
}

export function sum(amounts: readonly Money[]): Money {
  return amounts.reduce((acc, a) => acc.plus(a), new Decimal(0)).toFixed(TWO_PLACES);
}
