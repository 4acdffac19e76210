import { randomUUID } from 'node:crypto';
import { decodeCustomerEvent } from '../../src/customers/events';
import type { StoredEvent } from '../../src/eventstore';
import { decodeOrderEvent } from '../../src/orders/events';

const at = new Date('2026-03-01T08:00:00.000Z');

/** An envelope as the store hands it over: upcast, so at the current schema version unless told otherwise. */
function envelope(
  aggregateType: string,
  eventType: string,
  payload: unknown,
  overrides: Partial<StoredEvent> = {},
): StoredEvent {
  return {
    eventId: randomUUID(),
    eventType,
    aggregateId: 'agg-1',
    aggregateType,
    version: 3,
    position: 1n << 20n,
    timestamp: at,
    schemaVersion: eventType === 'OrderPlaced' ? 2 : 1,
    payload,
    metadata: { correlationId: 'c', causationId: 'c', userId: null },
    ownerId: null,
    ...overrides,
  };
}
const order = (eventType: string, payload: unknown, overrides?: Partial<StoredEvent>) =>
  envelope('Order', eventType, payload, overrides);

const item = { productId: 'book', quantity: 2, unitPrice: '29.99' };
const placed = { customerId: 'cust-1', items: [item], totalAmount: '59.98', currency: 'EUR' };

describe('decodeOrderEvent', () => {
  it.each<[string, unknown]>([
    ['OrderPlaced', placed],
    ['ItemAdded', { item: { productId: 'pen', quantity: 1, unitPrice: '0.10' } }],
    ['OrderPaid', { amount: '59.98' }],
    ['OrderShipped', {}],
    ['OrderCancelled', { reason: 'changed my mind' }],
    ['OrderCancelled', {}],
  ])('decodes a %s with its stream, version and time', (eventType, payload) => {
    expect(decodeOrderEvent(order(eventType, payload))).toEqual({
      type: eventType,
      data: payload,
      aggregateId: 'agg-1',
      version: 3,
      timestamp: at,
    });
  });

  it('decodes amounts of any size, and zero', () => {
    const big = { ...placed, items: [{ ...item, unitPrice: '1000000000000.00' }], totalAmount: '2000000000000.00' };
    expect(decodeOrderEvent(order('OrderPlaced', big)).data).toEqual(big);
    expect(decodeOrderEvent(order('OrderPaid', { amount: '0.00' })).data).toEqual({ amount: '0.00' });
  });

  it('decodes amounts with each currency’s decimals (JPY 0, KWD 3) as well as the two every event had before', () => {
    const jpy = { ...placed, items: [{ ...item, unitPrice: '2999' }], totalAmount: '5998', currency: 'JPY' };
    const kwd = { ...placed, items: [{ ...item, unitPrice: '1.234' }], totalAmount: '2.468', currency: 'KWD' };
    const legacyJpy = { ...jpy, items: [{ ...item, unitPrice: '2999.00' }], totalAmount: '5998.00' };
    for (const payload of [jpy, kwd, legacyJpy])
      expect(decodeOrderEvent(order('OrderPlaced', payload)).data).toEqual(payload);
  });

  it('refuses a payload missing a field, naming the event and the field', () => {
    const { currency: _currency, ...withoutCurrency } = placed;
    const event = order('OrderPlaced', withoutCurrency);
    expect(() => decodeOrderEvent(event)).toThrow(
      new RegExp(`event ${event.eventId} \\(OrderPlaced of Order agg-1\\).*payload\\.currency: .*expected string`),
    );
  });

  it.each<[string, string, unknown, RegExp]>([
    ['a quantity as text', 'ItemAdded', { item: { ...item, quantity: '2' } }, /payload\.item\.quantity: .*number/],
    ['a fractional quantity', 'ItemAdded', { item: { ...item, quantity: 1.5 } }, /payload\.item\.quantity/],
    [
      'a price as a number',
      'OrderPlaced',
      { ...placed, items: [{ ...item, unitPrice: 29.99 }] },
      /items\[0\]\.unitPrice/,
    ],
    [
      'an amount with more decimals than any currency has',
      'OrderPaid',
      { amount: '59.9999' },
      /payload\.amount: .*at most 3 decimals/,
    ],
    ['an amount that is not plain decimal text', 'OrderPaid', { amount: '1e3' }, /payload\.amount: .*decimal amount/],
    ['a reason that is not text', 'OrderCancelled', { reason: 42 }, /payload\.reason/],
    ['items that are not a list', 'OrderPlaced', { ...placed, items: item }, /payload\.items: .*array/],
    ['no payload at all', 'OrderShipped', null, /payload: .*object/],
  ])('refuses %s', (_label, eventType, payload, message) => {
    expect(() => decodeOrderEvent(order(eventType, payload))).toThrow(message);
  });

  it('names the first few of many problems and counts the rest', () => {
    const items = Array.from({ length: 10 }, () => ({ ...item, unitPrice: 'free' }));
    expect(() => decodeOrderEvent(order('OrderPlaced', { ...placed, items }))).toThrow(
      /items\[0\]\.unitPrice.*items\[1\]\.unitPrice.*items\[2\]\.unitPrice: [^;]*; and 7 more$/,
    );
  });

  it('refuses an event type no order has', () => {
    expect(() => decodeOrderEvent(order('OrderRefunded', { amount: '1.00' }))).toThrow(
      /OrderRefunded of Order agg-1\): no Order event has this type/,
    );
  });

  it('refuses an event of another aggregate type', () => {
    expect(() => decodeOrderEvent(envelope('Customer', 'OrderPaid', { amount: '1.00' }))).toThrow(
      /aggregate type is not Order/,
    );
  });

  it('refuses an event the store did not upcast to the current schema version', () => {
    const legacy = order('OrderPlaced', { customerId: 'c', items: [item], totalAmount: '59.98' }, { schemaVersion: 1 });
    expect(() => decodeOrderEvent(legacy)).toThrow(/schema version is 1, not the current 2: it was not upcast/);
    expect(() => decodeOrderEvent(order('OrderPaid', { amount: '1.00' }, { schemaVersion: 2 }))).toThrow(
      /schema version is 2, not the current 1: it is newer than this service knows/,
    );
  });
});

describe('decodeCustomerEvent', () => {
  const customer = (eventType: string, payload: unknown) => envelope('Customer', eventType, payload);

  it.each<[string, unknown]>([
    ['CustomerRegistered', { name: 'Ada', email: 'ada@example.com' }],
    ['CustomerDeactivated', { reason: 'moved away' }],
    ['CustomerDeactivated', {}],
  ])('decodes a %s', (eventType, payload) => {
    expect(decodeCustomerEvent(customer(eventType, payload))).toEqual({
      type: eventType,
      data: payload,
      aggregateId: 'agg-1',
      version: 3,
      timestamp: at,
    });
  });

  it('refuses a registration without an email, an unknown type and an order event', () => {
    expect(() => decodeCustomerEvent(customer('CustomerRegistered', { name: 'Ada' }))).toThrow(/payload\.email/);
    expect(() => decodeCustomerEvent(customer('CustomerRenamed', { name: 'Bo' }))).toThrow(
      /no Customer event has this type/,
    );
    expect(() => decodeCustomerEvent(order('OrderPaid', { amount: '1.00' }))).toThrow(/aggregate type is not Customer/);
  });
});
