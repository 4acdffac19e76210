import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../../src/eventstore';
import { eventTypeMismatches } from '../../src/graphql/event-types';
import { buildSchema } from '../../src/graphql/schema';
import { eventPayloads } from '../../src/graphql-kit/event-payloads';
import { decodeOrderEvent } from '../../src/orders/events';
import { SLICES } from '../../src/slices';

// Every event a slice appends is served as the object type of its eventType, with enum values for its event and
// aggregate types: the schema must describe each one (buildSchema refuses to start otherwise).

const schema = buildSchema();

it("describes every slice's events: an EventType value and an object type implementing Event each, and nothing more", () => {
  expect(SLICES.flatMap((slice) => slice.eventTypes)).toHaveLength(8);
  expect(eventTypeMismatches(schema, SLICES)).toEqual([]);
});

it('names what the schema lacks, and what it lists that no slice appends', () => {
  const refunds = { aggregateType: 'Refund', eventTypes: ['RefundIssued'] };
  const withoutCustomers = SLICES.filter((slice) => slice.name !== 'customers');
  expect(eventTypeMismatches(schema, [...withoutCustomers, refunds])).toEqual([
    'AggregateType has no value Refund, which a slice appends',
    'AggregateType has Customer, which no slice appends',
    'EventType has no value RefundIssued, which a slice appends',
    'EventType has CustomerRegistered, which no slice appends',
    'EventType has CustomerDeactivated, which no slice appends',
    'EventType has CustomerForgotten, which no slice appends',
    'the schema has no object type RefundIssued implementing Event',
  ]);
});

it('keeps the server from building its schema while a slice appends an event type the schema lacks', () => {
  const refunds = { aggregateType: 'Order', eventTypes: ['OrderRefunded'], resolvers: {}, access: {}, nodes: [] };
  expect(() => buildSchema([refunds])).toThrow(
    /schema\.graphql does not describe the slices' events: .*EventType has no value OrderRefunded, which a slice appends/,
  );
});

describe('eventPayloads', () => {
  const event: StoredEvent = {
    eventId: randomUUID(),
    eventType: 'OrderPaid',
    aggregateId: 'order-1',
    aggregateType: 'Order',
    version: 2,
    position: 1n << 20n,
    timestamp: new Date('2026-03-01T08:00:00.000Z'),
    schemaVersion: 1,
    payload: { amount: '12.50' },
    metadata: { correlationId: 'c', causationId: 'c', userId: null },
    ownerId: null,
  };
  it('decodes an event object once, however many typed fields and operations read it', () => {
    const decode = jest.fn(decodeOrderEvent);
    const paid = eventPayloads(decode)('OrderPaid');
    expect([paid(event), paid(event), paid(event)]).toEqual([
      { amount: '12.50' },
      { amount: '12.50' },
      { amount: '12.50' },
    ]);
    expect(decode).toHaveBeenCalledTimes(1);
    // The same event read again from the log is another object, decoded again.
    expect(paid({ ...event })).toEqual({ amount: '12.50' });
    expect(decode).toHaveBeenCalledTimes(2);
  });

  it('refuses to read an event as another type than its own', () => {
    const placed = eventPayloads(decodeOrderEvent)('OrderPlaced');
    expect(() => placed(event)).toThrow(`Event ${event.eventId} is OrderPaid, not OrderPlaced`);
  });
});
