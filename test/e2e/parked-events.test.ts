import type { StoredEvent } from '../../src/eventstore';
import type { Projector } from '../../src/projections/types';
import { PROJECTORS } from '../../src/slices';
import { eventually } from '../support/eventually';
import { caughtUp, rebuild } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';
import { appendRaw, type RawOrderEvent } from '../support/raw-events';
import { randomUUID } from 'node:crypto';

// A stored event that the projectors' fold refuses (a payload the decoder rejects, written with raw SQL as an
// older release or a bug might have left it): with PROJECTION_ON_ERROR=park (the default) each projector parks it,
// holds its order's later events behind it and applies everything else; an operator retries it once fixed, or
// skips it. With PROJECTION_ON_ERROR=stop the projector stops FAILED before it, as it always did.

const METRICS_TOKEN = 'parked-events-metrics-token-0123';
/** An amount the decoder refuses: the fold of an event carrying it throws. */
const REFUSED = 'refused';

/**
 * The fix an operator would ship (a corrected upcaster, say): once an order is in `fixed`, its refused amounts
 * read as 5.00 before the real projector folds them. Until then the real decoder refuses them.
 */
const fixed = new Set<string>();
function repaired(event: StoredEvent): StoredEvent {
  if (!fixed.has(event.aggregateId) || event.eventType !== 'OrderPlaced') return event;
  const payload = event.payload as { totalAmount: string };
  return payload.totalAmount === REFUSED ? { ...event, payload: { ...payload, totalAmount: '5.00' } } : event;
}
const withFix = (projector: Projector): Projector => ({
  ...projector,
  apply: (events, tx) => projector.apply(events.map(repaired), tx),
});

const placed = (aggregateId: string, customerId: string, totalAmount: string): RawOrderEvent => ({
  aggregateId,
  version: 1,
  type: 'OrderPlaced',
  schemaVersion: 2,
  payload: { customerId, items: [{ productId: 'a', quantity: 1, unitPrice: '5.00' }], totalAmount, currency: 'EUR' },
});
const paid = (aggregateId: string, version: number): RawOrderEvent => ({
  aggregateId,
  version,
  type: 'OrderPaid',
  payload: { amount: '5.00' },
});

type Parked = {
  eventId: string;
  aggregateId: string;
  position: string;
  error: string;
  heldBehind: string | null;
  firstAttemptAt: string;
  lastAttemptAt: string;
  attempts: number;
};
const PARKED = 'parked { eventId aggregateId position error heldBehind firstAttemptAt lastAttemptAt attempts }';

async function parkedOf(server: TestServer, projection: string, aggregateId: string): Promise<Parked[]> {
  const res = await server.gql(`{ projections { name status ${PARKED} } }`);
  expect(res.errors).toBeUndefined();
  const row = res.data!.projections.find((p: { name: string }) => p.name === projection);
  return (row.parked as Parked[]).filter((p) => p.aggregateId === aggregateId);
}

async function order(server: TestServer, id: string) {
  const res = await server.gql(`query ($id: ID!) { order(id: $id) { status version totalAmount itemCount } }`, {
    id,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.order;
}

async function parkedCount(server: TestServer, projector: string): Promise<number> {
  const res = await fetch(`${server.app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const line = (await res.text())
    .split('\n')
    .find((l) => l.startsWith(`orderstream_projection_events_parked_total{projector="${projector}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function registered(server: TestServer): Promise<string> {
  const res = await server.gql(
    `mutation { registerCustomer(input: { name: "P", email: "p@example.com" }) { aggregateId } }`,
  );
  return res.data!.registerCustomer.aggregateId;
}

async function placedAndPaid(server: TestServer, customerId: string): Promise<string> {
  const res = await server.gql(
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "b", quantity: 2, unitPrice: "1.25" }] }) { aggregateId } }`,
    { c: customerId },
  );
  const orderId = res.data!.placeOrder.aggregateId;
  const pay = await server.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
  expect(pay.errors).toBeUndefined();
  return orderId;
}

describe('PROJECTION_ON_ERROR=park (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      { METRICS_TOKEN, PROJECTION_POLL_MS: '50' },
      { projectors: PROJECTORS.map(withFix) },
    );
  });
  afterAll(() => server.close());

  it('parks the event, holds its order behind it, goes on with the others, and applies them in order on retry', async () => {
    const customerId = await registered(server);
    const before = await parkedCount(server, 'orders');
    const orderId = randomUUID();
    const [placedId] = await appendRaw(server.sql, [placed(orderId, customerId, REFUSED)]);
    await eventually(async () => expect(await parkedOf(server, 'orders', orderId)).toHaveLength(1));
    // Written after the projector went past the placement: a later batch holds it.
    const [paidId] = await appendRaw(server.sql, [paid(orderId, 2)]);
    const other = await placedAndPaid(server, customerId);
    await caughtUp(server);

    expect(await parkedOf(server, 'orders', orderId)).toEqual([
      expect.objectContaining({
        eventId: placedId,
        heldBehind: null,
        attempts: 1,
        error: expect.stringContaining(`Cannot decode event ${placedId}`),
      }),
      expect.objectContaining({ eventId: paidId, heldBehind: placedId, attempts: 0, error: `behind ${placedId}` }),
    ]);
    // The order has no row at all rather than one paid without its placement; every other order goes on.
    expect(await order(server, orderId)).toBeNull();
    expect(await order(server, other)).toMatchObject({ status: 'PAID', version: 2 });
    const states = await server.gql(`{ projections { name status } }`);
    expect(states.data!.projections.every((p: { status: string }) => p.status === 'RUNNING')).toBe(true);
    expect((await parkedCount(server, 'orders')) - before).toBe(1);

    // Retried before the fix: it stays parked, one attempt more, and the held event cannot jump the queue.
    const again = await server.gql(
      `mutation ($e: ID!) { retryParked(projection: "orders", eventId: $e) { name ${PARKED} } }`,
      { e: placedId },
    );
    expect(again.errors).toBeUndefined();
    const [head] = await parkedOf(server, 'orders', orderId);
    expect(head).toMatchObject({ eventId: placedId, attempts: 2 });
    expect(Date.parse(head!.lastAttemptAt)).toBeGreaterThan(Date.parse(head!.firstAttemptAt));
    const jump = await server.gql(`mutation ($e: ID!) { retryParked(projection: "orders", eventId: $e) { name } }`, {
      e: paidId,
    });
    expect(jump.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(await order(server, orderId)).toBeNull();

    // Fixed: the retry applies the placement, then the payment held behind it.
    fixed.add(orderId);
    const retried = await server.gql(
      `mutation ($e: ID!) { retryParked(projection: "orders", eventId: $e) { name status ${PARKED} } }`,
      { e: placedId },
    );
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.retryParked.parked.filter((p: Parked) => p.aggregateId === orderId)).toEqual([]);
    expect(await order(server, orderId)).toEqual({ status: 'PAID', version: 2, totalAmount: '5.00', itemCount: 1 });
  });

  it('skipParked drops the event and applies the events held behind it', async () => {
    const customerId = await registered(server);
    const orderId = randomUUID();
    // One transaction, so one batch: the batch is split to find the event at fault.
    const [, addedId, paidId] = await appendRaw(server.sql, [
      placed(orderId, customerId, '5.00'),
      { aggregateId: orderId, version: 2, type: 'ItemAdded', payload: { item: { productId: 'x', quantity: 0 } } },
      paid(orderId, 3),
    ]);
    await eventually(async () =>
      expect((await parkedOf(server, 'orders', orderId)).map((p) => [p.eventId, p.heldBehind])).toEqual([
        [addedId, null],
        [paidId, addedId],
      ]),
    );
    expect(await order(server, orderId)).toMatchObject({ status: 'PLACED', version: 1 });

    const skipped = await server.gql(
      `mutation ($e: ID!) { skipParked(projection: "orders", eventId: $e) { name ${PARKED} } }`,
      { e: addedId },
    );
    expect(skipped.errors).toBeUndefined();
    expect(await parkedOf(server, 'orders', orderId)).toEqual([]);
    expect(await order(server, orderId)).toEqual({ status: 'PAID', version: 3, totalAmount: '5.00', itemCount: 1 });
    const gone = await server.gql(`mutation ($e: ID!) { skipParked(projection: "orders", eventId: $e) { name } }`, {
      e: addedId,
    });
    expect(gone.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('refuses to retry or skip while the projection rebuilds: the rebuild replaces its parked events', async () => {
    const customerId = await registered(server);
    const orderId = randomUUID();
    const [placedId] = await appendRaw(server.sql, [placed(orderId, customerId, REFUSED)]);
    await eventually(async () => expect(await parkedOf(server, 'orders', orderId)).toHaveLength(1));
    // As a rebuild marks it while it runs (the live batches go on meanwhile); restored below.
    await server.sql.query(`UPDATE projection_checkpoints SET status = 'REBUILDING' WHERE name = 'orders'`);
    try {
      for (const mutation of ['retryParked', 'skipParked']) {
        const res = await server.gql(`mutation ($e: ID!) { ${mutation}(projection: "orders", eventId: $e) { name } }`, {
          e: placedId,
        });
        expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      }
    } finally {
      await server.sql.query(`UPDATE projection_checkpoints SET status = 'RUNNING' WHERE name = 'orders'`);
    }
    expect(await parkedOf(server, 'orders', orderId)).toEqual([expect.objectContaining({ attempts: 1 })]);
  });

  it('a rebuild that meets the event parks it the same way, holds its order behind it, and drops the skipped', async () => {
    const customerId = await registered(server);
    const orderId = randomUUID();
    const [placedId, paidId] = await appendRaw(server.sql, [placed(orderId, customerId, REFUSED), paid(orderId, 2)]);
    await eventually(async () => expect(await parkedOf(server, 'orders', orderId)).toHaveLength(2));
    const skippedOrder = randomUUID();
    const [, addedId] = await appendRaw(server.sql, [
      placed(skippedOrder, customerId, '5.00'),
      { aggregateId: skippedOrder, version: 2, type: 'ItemAdded', payload: { item: { productId: 'x', quantity: 0 } } },
      paid(skippedOrder, 3),
    ]);
    await eventually(async () => expect(await parkedOf(server, 'orders', skippedOrder)).toHaveLength(2));
    const skip = await server.gql(`mutation ($e: ID!) { skipParked(projection: "orders", eventId: $e) { name } }`, {
      e: addedId,
    });
    expect(skip.errors).toBeUndefined();
    const before = await parkedCount(server, 'orders');
    const other = await placedAndPaid(server, customerId);
    await caughtUp(server);

    await rebuild(server, 'orders');
    expect((await parkedCount(server, 'orders')) - before).toBeGreaterThanOrEqual(1);
    expect((await parkedOf(server, 'orders', orderId)).map((p) => [p.eventId, p.heldBehind])).toEqual([
      [placedId, null],
      [paidId, placedId],
    ]);
    expect(await order(server, orderId)).toBeNull();
    expect(await order(server, other)).toMatchObject({ status: 'PAID', version: 2 });
    // The operator's skip holds for the rebuilt tables too: the event is dropped, not parked again.
    expect(await parkedOf(server, 'orders', skippedOrder)).toEqual([]);
    expect(await order(server, skippedOrder)).toMatchObject({ status: 'PAID', version: 3, itemCount: 1 });
  });
});

describe('PROJECTION_ON_ERROR=stop', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ PROJECTION_ON_ERROR: 'stop', PROJECTION_POLL_MS: '50' });
  });
  afterAll(() => server.close());

  it('stops the projector FAILED just before the event, and parks nothing', async () => {
    const customerId = await registered(server);
    const orderId = randomUUID();
    const [placedId] = await appendRaw(server.sql, [placed(orderId, customerId, REFUSED)]);
    await eventually(async () => {
      const res = await server.gql(`{ projections { name status failedEventId parked { eventId } } }`);
      const orders = res.data!.projections.find((p: { name: string }) => p.name === 'orders');
      expect(orders).toEqual({ name: 'orders', status: 'FAILED', failedEventId: placedId, parked: [] });
    });
  });
});
