import DecimalJs from 'decimal.js';
import { z } from 'zod';
import { MAX_MINOR_UNITS, minorUnits } from './currencies';
import { InvalidInput } from './errors';

/**
 * An amount in a currency the context names: a decimal string with that currency's decimals (JPY "2999", EUR
 * "29.99", KWD "1.234"). decimal.js does the arithmetic so that 2 × 29.99 is 59.98, never 59.980000000000004;
 * strings keep the value exact in JSON payloads and on the wire.
 */
export type Amount = string;

/**
 * An amount as events carry it: the text parsePrice, multiply and sum write, whatever its size. Up to the most
 * decimals a currency has; an event written before amounts followed their currency has two, whatever its currency.
 */
const EVENT_DECIMALS = Math.max(MAX_MINOR_UNITS, 2);
export const moneySchema = z
  .string()
  .regex(
    new RegExp(`^-?\\d+(\\.\\d{1,${EVENT_DECIMALS}})?$`),
    `expected a decimal amount such as "12.50", with at most ${EVENT_DECIMALS} decimals`,
  );

/**
 * decimal.js rounds every result to `precision` significant digits (20 by default), which a customer's lifetime
 * total could outgrow: 60 digits stays exact for any sum of amounts the input limits admit.
 */
export const Decimal = DecimalJs.clone({ precision: 60 });

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
/** Longer than any amount the limits admit, short enough that nothing below looks at a huge string. */
const MAX_AMOUNT_TEXT = 40;

/**
 * `amount` written with `currency`'s decimals ("2999" in JPY, "29.90" in EUR), or with more when it has more
 * significant ones: an amount stored before amounts followed their currency (a JPY "29.99") is shown as it is,
 * never rounded.
 */
export function atScale(amount: Amount | DecimalJs, currency: string): Amount {
  const value = new Decimal(amount);
  return value.toFixed(Math.max(minorUnits(currency), value.decimalPlaces()));
}

/** Parses a price in `currency`: a finite, non-negative amount with at most its decimals, and at most `max`. */
export function parsePrice(raw: string, field: string, currency: string, max?: Amount): Amount {
  if (raw.length > MAX_AMOUNT_TEXT) {
    throw new InvalidInput(`${field} must be a decimal amount of at most ${MAX_AMOUNT_TEXT} characters`, field);
  }
  // Plain decimal notation only: decimal.js would also read "0x10" or "1e2", silently changing what was typed.
  if (!DECIMAL_TEXT.test(raw)) throw new InvalidInput(`${field} must be a decimal amount, got "${raw}"`, field);
  const value = new Decimal(raw);
  if (value.isNegative() && !value.isZero()) throw new InvalidInput(`${field} must not be negative, got ${raw}`, field);
  const decimals = minorUnits(currency);
  if (value.decimalPlaces() > decimals) {
    throw new InvalidInput(
      decimals === 0
        ? `${field} must be a whole amount in ${currency}, got ${raw}`
        : `${field} may have at most ${decimals} decimals in ${currency}, got ${raw}`,
      field,
    );
  }
  if (max !== undefined && value.greaterThan(max))
    throw new InvalidInput(`${field} may be at most ${max}, got ${raw}`, field);
  return atScale(value, currency);
}

export function multiply(amount: Amount, quantity: number, currency: string): Amount {
  return atScale(new Decimal(amount).times(quantity), currency);
}

export function sum(amounts: readonly Amount[], currency: string): Amount {
  return atScale(
    amounts.reduce((acc, a) => acc.plus(a), new Decimal(0)),
    currency,
  );
}
