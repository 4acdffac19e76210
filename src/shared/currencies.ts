/**
 * Every currency the API names (the `CurrencyCode` enum of schema.graphql): the ISO 4217 codes of the runtime's
 * Intl (ICU), as `Intl.supportedValuesOf('currency')` listed them when this list was written. A list here rather
 * than Intl's at run time, so that what the domain accepts is the enum on any Node.js, whatever ICU it carries;
 * test/unit/currencies.test.ts fails when the enum, this list and Intl's part ways.
 */
// prettier-ignore
export const CURRENCY_CODES = [
  'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BHD', 'BIF',
  'BMD', 'BND', 'BOB', 'BRL', 'BSD', 'BTN', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHF', 'CLP', 'CNY', 'COP', 'CRC',
  'CUC', 'CUP', 'CVE', 'CZK', 'DJF', 'DKK', 'DOP', 'DZD', 'EGP', 'ERN', 'ETB', 'EUR', 'FJD', 'FKP', 'GBP', 'GEL',
  'GHS', 'GIP', 'GMD', 'GNF', 'GTQ', 'GYD', 'HKD', 'HNL', 'HRK', 'HTG', 'HUF', 'IDR', 'ILS', 'INR', 'IQD', 'IRR',
  'ISK', 'JMD', 'JOD', 'JPY', 'KES', 'KGS', 'KHR', 'KMF', 'KPW', 'KRW', 'KWD', 'KYD', 'KZT', 'LAK', 'LBP', 'LKR',
  'LRD', 'LSL', 'LYD', 'MAD', 'MDL', 'MGA', 'MKD', 'MMK', 'MNT', 'MOP', 'MRU', 'MUR', 'MVR', 'MWK', 'MXN', 'MYR',
  'MZN', 'NAD', 'NGN', 'NIO', 'NOK', 'NPR', 'NZD', 'OMR', 'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'PYG', 'QAR',
  'RON', 'RSD', 'RUB', 'RWF', 'SAR', 'SBD', 'SCR', 'SDG', 'SEK', 'SGD', 'SHP', 'SLE', 'SLL', 'SOS', 'SRD', 'SSP',
  'STN', 'SVC', 'SYP', 'SZL', 'THB', 'TJS', 'TMT', 'TND', 'TOP', 'TRY', 'TTD', 'TWD', 'TZS', 'UAH', 'UGX', 'USD',
  'UYU', 'UZS', 'VES', 'VND', 'VUV', 'WST', 'XAF', 'XCD', 'XCG', 'XDR', 'XOF', 'XPF', 'XSU', 'YER', 'ZAR', 'ZMW',
  'ZWG', 'ZWL',
] as const;

export type CurrencyCode = (typeof CURRENCY_CODES)[number];

/**
 * Codes ICU still lists that ISO 4217 has withdrawn, with what replaced them. The API accepted them before it
 * checked for withdrawal, so orders may be in them: those are served (the enum keeps these values, deprecated), and
 * no new order takes them.
 */
export const WITHDRAWN_CURRENCIES: Readonly<Partial<Record<CurrencyCode, string>>> = {
  ANG: 'replaced by XCG, the Caribbean guilder, in 2025',
  BGN: 'replaced by EUR in 2026',
  HRK: 'replaced by EUR in 2023',
  SLL: 'replaced by SLE, the redenominated leone, in 2022',
  ZWL: 'replaced by ZWG, Zimbabwe Gold, in 2024',
};

const CODES: ReadonlySet<string> = new Set(CURRENCY_CODES);

export function isCurrencyCode(code: string): code is CurrencyCode {
  return CODES.has(code);
}

/** Why no new order may be in `code` (it was withdrawn), or undefined if one may. */
export function withdrawal(code: CurrencyCode): string | undefined {
  return WITHDRAWN_CURRENCIES[code];
}

/**
 * Digits after the decimal point of each currency's amounts, as Intl.NumberFormat formats them (JPY 0, EUR 2,
 * KWD 3): the runtime's CLDR data, which follows ISO 4217's minor units except where a currency is used without its
 * minor unit (HUF, IDR, IQD: 0). What the API accepts is then exactly what a browser's Intl shows.
 */
const MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  CURRENCY_CODES.map((code) => [
    code,
    new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2,
  ]),
);

/** The number of decimals an amount in `code` has (2 for a code the list does not have, as Intl answers). */
export function minorUnits(code: string): number {
  return MINOR_UNITS.get(code) ?? 2;
}

/** The most decimals any currency's amounts have. */
export const MAX_MINOR_UNITS = Math.max(...MINOR_UNITS.values());
