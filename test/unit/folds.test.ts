import { randomUUID } from 'node:crypto';
import { fold, foldOnto } from '../../src/commands/aggregate';
import { customerAggregate } from '../../src/customers/commands';
import type { StoredEvent } from '../../src/eventstore';
import { upcasting } from '../../src/eventstore/upcasting';
import { orderAggregate } from '../../src/orders/commands';
import { EVENT_SCHEMAS } from '../../src/slices';

// One fold per aggregate: the command side (loads, results, snapshots) and the projectors (query-table rows) both
// step a state with the slice's decoder and evolve, so what is checked here is what both of them hold.

const { currentVersion } = upcasting(EVENT_SCHEMAS);
const FIRST_AT = Date.parse('2026-02-01T09:00:00.000Z');
/** Version n of a stream is recorded n minutes after the first. */
const atVersion = (version: number) => new Date(FIRST_AT + (version - 1) * 60_000);

/** A stream as the store hands it over: consecutive versions, current schema versions. */
function stream(aggregateType: string, aggregateId: string, events: [string, unknown][]): StoredEvent[] {
  return events.map(([eventType, payload], i) => ({
    eventId: randomUUID(),
    eventType,
    aggregateId,
    aggregateType,
    version: i + 1,
    position: BigInt(i + 1) << 16n,
    timestamp: atVersion(i + 1),
    schemaVersion: currentVersion(eventType),
    payload,
    metadata: { correlationId: 'c', causationId: 'c', userId: null },
    ownerId: null,
  }));
}

const book = { productId: 'book', quantity: 2, unitPrice: '29.99' };
const pen = { productId: 'pen', quantity: 3, unitPrice: '0.10' };
const placed: [string, unknown] = [
  'OrderPlaced',
  { customerId: 'cust-1', items: [book], totalAmount: '59.98', currency: 'EUR' },
];

describe('the order fold', () => {
  it('follows an order from placing to shipping, with its version and the time of each step', () => {
    const events = stream('Order', 'order-1', [
      placed,
      ['ItemAdded', { item: pen }],
      ['OrderPaid', { amount: '60.28' }],
      ['OrderShipped', {}],
    ]);
    expect(fold(orderAggregate, events)).toEqual({
      version: 4,
      state: {
        id: 'order-1',
        customerId: 'cust-1',
        status: 'SHIPPED',
        items: [book, pen],
        itemCount: 5,
        totalAmount: '60.28',
        currency: 'EUR',
        cancellationReason: null,
        version: 4,
        createdAt: atVersion(1),
        updatedAt: atVersion(4),
        paidAt: atVersion(3),
        shippedAt: atVersion(4),
        cancelledAt: null,
        paymentDueAt: null,
      },
    });
  });

  it('keeps when a cancelled order was paid, and why it was cancelled', () => {
    const events = stream('Order', 'order-2', [
      placed,
      ['OrderPaid', { amount: '59.98' }],
      ['OrderCancelled', { reason: 'changed my mind' }],
    ]);
    expect(fold(orderAggregate, events).state).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'changed my mind',
      version: 3,
      createdAt: atVersion(1),
      updatedAt: atVersion(3),
      paidAt: atVersion(2),
      shippedAt: null,
      cancelledAt: atVersion(3),
    });
  });

  it('gives the same order resumed from any earlier state (a snapshot, a query-table row) as from the start', () => {
    const events = stream('Order', 'order-3', [
      placed,
      ['ItemAdded', { item: pen }],
      ['OrderPaid', { amount: '60.28' }],
      ['OrderCancelled', {}],
    ]);
    const whole = fold(orderAggregate, events);
    for (let cut = 0; cut <= events.length; cut++) {
      const base = fold(orderAggregate, events.slice(0, cut));
      expect(foldOnto(orderAggregate, base, events.slice(cut))).toEqual(whole);
    }
  });

  it('is no order until it is placed', () => {
    expect(fold(orderAggregate, []).state).toBeNull();
    expect(fold(orderAggregate, stream('Order', 'order-4', [['OrderPaid', { amount: '1.00' }]])).state).toBeNull();
  });

  it('stops at an event it cannot decode, naming it', () => {
    const events = stream('Order', 'order-5', [placed, ['OrderPaid', { amount: 59.98 }]]);
    expect(() => fold(orderAggregate, events)).toThrow(
      new RegExp(`event ${events[1]!.eventId} \\(OrderPaid of Order order-5\\).*payload\\.amount`),
    );
  });
});

describe('the customer fold', () => {
  it('follows a customer from registration to deactivation, with its version and the time of each step', () => {
    const events = stream('Customer', 'cust-1', [
      ['CustomerRegistered', { name: 'Ada', email: 'ada@example.com' }],
      ['CustomerDeactivated', { reason: 'moved away' }],
    ]);
    expect(fold(customerAggregate, events)).toEqual({
      version: 2,
      state: {
        id: 'cust-1',
        name: 'Ada',
        email: 'ada@example.com',
        active: false,
        deactivationReason: 'moved away',
        version: 2,
        registeredAt: atVersion(1),
        updatedAt: atVersion(2),
        deactivatedAt: atVersion(2),
        forgottenAt: null,
      },
    });
  });
});
