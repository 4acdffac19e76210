import type { Money } from '../generated/graphql';
import { isCurrencyCode, type CurrencyCode } from '../shared/currencies';
import { atScale, type Amount } from '../shared/money';

/**
 * `Money` for an amount in a currency, with the currency's decimals. Every currency the log holds is a
 * `CurrencyCode` (the domain accepts no other), so one that is not means corrupt data: an error, not a guess.
 */
export function money(amount: Amount, currency: string): Money {
  return { amount: atScale(amount, currency), currencyCode: currencyCode(currency) };
}

/** A stored currency as the `CurrencyCode` it is (see `money`). */
export function currencyCode(currency: string): CurrencyCode {
  if (!isCurrencyCode(currency)) throw new Error(`"${currency}" is not a CurrencyCode`);
  return currency;
}
