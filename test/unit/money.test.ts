import { multiply, parsePrice, sum } from '../../src/shared/money';

describe('money', () => {
  it('multiplies exactly: 2 × 29.99 is 59.98', () => {
    expect(multiply('29.99', 2)).toBe('59.98');
  });
  it('sums exactly: 0.1 + 0.2 is 0.30', () => {
    expect(sum(['0.10', '0.20'])).toBe('0.30');
  });
  it('rejects a price with three decimals', () => {
    expect(() => parsePrice('1.234', 'unitPrice')).toThrow(/at most 2 decimals/);
  });
});
