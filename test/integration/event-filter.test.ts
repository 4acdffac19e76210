import { randomUUID } from 'node:crypto';
import type { EventFilter, StoredEvent } from '../../src/eventstore';
import { matchesFilter } from '../../src/eventstore/event-filter';
import { openStore, type StoreFixture } from '../support/event-store';

// A subscription reads the same filter from two places: the log (SQL) while it catches up, and the tailer's
// window (in memory) once live. Both must pick exactly the same events, or a subscriber would see an event on
// one side of the seam and miss its twin on the other.

let f: StoreFixture;
let log: StoredEvent[];
let midway: Date;
const ids = { a: randomUUID(), b: randomUUID(), c: randomUUID() };

beforeAll(async () => {
  f = await openStore();
  const append = (aggregateId: string, aggregateType: string, eventTypes: string[], correlationId: string) =>
    f.store.append({
      aggregateId,
      aggregateType,
      expectedVersion: 'any',
      events: eventTypes.map((eventType) => ({ eventType, payload: {} })),
      metadata: { correlationId, causationId: 'c', userId: null },
      // b owns its own stream and order a; order c has no owner.
      ownerId: aggregateId === ids.c ? null : ids.b,
    });
  await append(ids.a, 'Order', ['OrderPlaced', 'ItemAdded'], 'corr-1');
  await append(ids.b, 'Customer', ['CustomerRegistered'], 'corr-2');
  const { rows } = await f.pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  midway = rows[0]!.now;
  await append(ids.a, 'Order', ['OrderPaid'], 'corr-2');
  await append(ids.c, 'Order', ['OrderPlaced', 'OrderCancelled'], 'corr-1');
  await append(ids.b, 'Customer', ['CustomerDeactivated'], 'corr-3');
  log = (await f.store.readLog(0n, 1000)).events;
});
afterAll(() => f.close());

const filters: [string, () => EventFilter][] = [
  ['no filter', () => ({})],
  ['aggregateId', () => ({ aggregateId: ids.a })],
  ['an unknown aggregateId', () => ({ aggregateId: 'nobody' })],
  ['aggregateType', () => ({ aggregateType: 'Customer' })],
  ['eventTypes', () => ({ eventTypes: ['OrderPlaced', 'CustomerDeactivated'] })],
  ['an empty eventTypes list', () => ({ eventTypes: [] })],
  ['correlationIds', () => ({ correlationIds: ['corr-2'] })],
  ['correlationIds naming two', () => ({ correlationIds: ['corr-1', 'corr-3'] })],
  ['fromTimestamp', () => ({ fromTimestamp: midway })],
  ['fromTimestamp at an event’s own instant', () => ({ fromTimestamp: log[2]!.timestamp })],
  ['ownerId', () => ({ ownerId: ids.b })],
  ['an unknown ownerId', () => ({ ownerId: 'nobody' })],
  [
    'every field at once',
    () => ({
      aggregateId: ids.a,
      aggregateType: 'Order',
      eventTypes: ['OrderPaid'],
      correlationIds: ['corr-2'],
      fromTimestamp: midway,
    }),
  ],
  ['fields that contradict each other', () => ({ aggregateId: ids.b, aggregateType: 'Order' })],
];

it.each(filters)('the log reader and the live feed select the same events for %s', async (_label, filter) => {
  const fromSql = (await f.store.readLog(0n, 1000, filter())).events.map((e) => e.eventId);
  const inMemory = log.filter((e) => matchesFilter(filter(), e)).map((e) => e.eventId);
  expect(fromSql).toEqual(inMemory);
});

it('covers every field the filter has, so a new one cannot be left out of this test', () => {
  const fields = new Set(filters.flatMap(([, filter]) => Object.keys(filter())));
  const every: Required<EventFilter> = {
    aggregateId: '',
    aggregateType: '',
    eventTypes: [],
    correlationIds: [],
    fromTimestamp: new Date(),
    ownerId: '',
  };
  expect([...fields].sort()).toEqual(Object.keys(every).sort());
});
