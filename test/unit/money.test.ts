import { minorUnits } from '../../src/shared/currencies';
import { InvalidInput } from '../../src/shared/errors';
import { atScale, moneySchema, multiply, parsePrice, sum } from '../../src/shared/money';

/** What parsePrice refused with, as the API reports it: the message and `extensions.field`. */
function refusal(raw: string, currency: string): { message: string; field: unknown } {
  try {
    parsePrice(raw, 'items[0].unitPrice', currency);
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return { message: error.message, field: error.details.field };
  }
  throw new Error(`${raw} ${currency} was accepted`);
}

describe('money', () => {
  it('knows each currency’s decimals from Intl: JPY 0, EUR 2, KWD 3', () => {
    expect([minorUnits('JPY'), minorUnits('EUR'), minorUnits('KWD')]).toEqual([0, 2, 3]);
  });

  describe('prices', () => {
    it.each([
      ['2999', 'JPY', '2999'],
      ['1.234', 'KWD', '1.234'],
      ['1.2', 'KWD', '1.200'],
      ['29.99', 'EUR', '29.99'],
      ['29.9', 'EUR', '29.90'],
      ['5', 'EUR', '5.00'],
      ['1.230', 'EUR', '1.23'],
    ])('accepts %p in %s, stored as %p (its currency’s decimals)', (raw, currency, stored) => {
      expect(parsePrice(raw, 'unitPrice', currency)).toBe(stored);
    });

    it.each([
      ['29.99', 'JPY', /must be a whole amount in JPY, got 29.99/],
      ['0.5', 'JPY', /must be a whole amount in JPY/],
      ['1.234', 'EUR', /may have at most 2 decimals in EUR, got 1.234/],
      ['1.2345', 'KWD', /may have at most 3 decimals in KWD/],
    ])('refuses %p in %s, naming the field', (raw, currency, message) => {
      const { message: said, field } = refusal(raw, currency);
      expect(said).toMatch(message);
      expect(field).toBe('items[0].unitPrice');
    });
  });

  describe('totals, exact in each currency', () => {
    it.each([
      ['2999', 3, 'JPY', '8997'],
      ['1.234', 3, 'KWD', '3.702'],
      ['29.99', 2, 'EUR', '59.98'],
      ['0.001', 7, 'KWD', '0.007'],
    ])('%s × %i in %s is %s', (amount, quantity, currency, total) => {
      expect(multiply(amount, quantity, currency)).toBe(total);
    });

    it.each([
      [['0.10', '0.20'], 'EUR', '0.30'],
      [['29.99', '0.01', '100'], 'EUR', '130.00'],
      [['2999', '1'], 'JPY', '3000'],
      [['1.234', '0.766', '0.001'], 'KWD', '2.001'],
    ])('sums %p in %s to %s', (amounts, currency, total) => {
      expect(sum(amounts, currency)).toBe(total);
    });
  });

  describe('amounts written before they followed their currency (two decimals)', () => {
    it('gives them their currency’s decimals: JPY "2999.00" is "2999", KWD "1.20" is "1.200"', () => {
      expect(atScale('2999.00', 'JPY')).toBe('2999');
      expect(atScale('1.20', 'KWD')).toBe('1.200');
    });

    it('never rounds one away: a JPY "29.99" the API once took stays "29.99", and its sums stay exact', () => {
      expect(atScale('29.99', 'JPY')).toBe('29.99');
      expect(multiply('29.99', 3, 'JPY')).toBe('89.97');
      expect(sum(['89.97', '0.03'], 'JPY')).toBe('90');
    });
  });

  describe('in events (moneySchema)', () => {
    it.each(['2999', '29.99', '1.234', '0.00', '-12.50'])(
      'accepts %p: every scale a currency has, and the old two decimals',
      (amount) => {
        expect(moneySchema.safeParse(amount).success).toBe(true);
      },
    );

    it.each(['1.2345', '1e3', '12.', '.5', '0x10', ''])('refuses %p', (amount) => {
      expect(moneySchema.safeParse(amount).success).toBe(false);
    });
  });
});
