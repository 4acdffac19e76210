import { matchesOrderFilter, statusesOf } from '../../src/orders/order-filter';
import type { OrderState } from '../../src/orders/state';

// The filter of `orders` as `ordersChanged` applies it to each changed row: the same orders the list's SQL selects.

const order = (change: Partial<OrderState> = {}): OrderState => ({
  id: 'o1',
  customerId: 'alice',
  status: 'PAID',
  items: [],
  itemCount: 0,
  totalAmount: '1.00',
  currency: 'EUR',
  cancellationReason: null,
  version: 2,
  createdAt: new Date('2026-12-01T10:00:00.000Z'),
  updatedAt: new Date('2026-12-01T11:00:00.000Z'),
  paidAt: null,
  shippedAt: null,
  cancelledAt: null,
  paymentDueAt: null,
  ...change,
});

it('takes status and statuses together (both must hold), and reads all four statuses as no filter', () => {
  expect(statusesOf({})).toBeUndefined();
  expect(statusesOf({ statuses: ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] })).toBeUndefined();
  expect(statusesOf({ statuses: ['CANCELLED', 'PAID'] })).toEqual(['PAID', 'CANCELLED']);
  expect(statusesOf({ status: 'PAID', statuses: ['PAID', 'SHIPPED'] })).toEqual(['PAID']);
  expect(statusesOf({ status: 'PLACED', statuses: ['PAID'] })).toEqual([]);
  expect(statusesOf({ statuses: [] })).toEqual([]);
});

it('matches the statuses, placedAfter (inclusive) and placedBefore (exclusive) on createdAt', () => {
  const at = (iso: string) => new Date(iso);
  expect(matchesOrderFilter(order(), { statuses: ['PAID', 'SHIPPED'] })).toBe(true);
  expect(matchesOrderFilter(order(), { statuses: ['PLACED'] })).toBe(false);
  expect(matchesOrderFilter(order(), { statuses: [] })).toBe(false);
  expect(matchesOrderFilter(order(), { placedAfter: at('2026-12-01T10:00:00.000Z') })).toBe(true);
  expect(matchesOrderFilter(order(), { placedAfter: at('2026-12-01T10:00:00.001Z') })).toBe(false);
  expect(matchesOrderFilter(order(), { placedBefore: at('2026-12-01T10:00:00.000Z') })).toBe(false);
  expect(matchesOrderFilter(order(), { placedBefore: at('2026-12-01T10:00:00.001Z') })).toBe(true);
});

it('holds a customer to their own orders, whatever customer the filter names', () => {
  expect(matchesOrderFilter(order(), { owner: 'alice' })).toBe(true);
  expect(matchesOrderFilter(order(), { owner: 'alice', customerId: 'alice' })).toBe(true);
  expect(matchesOrderFilter(order(), { owner: 'alice', customerId: 'bob' })).toBe(false);
  expect(matchesOrderFilter(order({ customerId: 'bob' }), { owner: 'alice' })).toBe(false);
  expect(matchesOrderFilter(order({ customerId: 'bob' }), { customerId: 'bob' })).toBe(true);
});
