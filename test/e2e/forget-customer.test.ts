import { rebuild } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';
import { collect } from '../support/subscriptions';

// forgetCustomer: the customer's data key is deleted, and from then on every read (the log, an order's
// history, the query tables, a rebuild of them, a live subscription) serves their personal fields as null, while
// their orders, amounts and history stay; and no table holds the name, email or a reason in the clear.

let server: TestServer;
beforeAll(async () => {
  // A snapshot after every command, so that snapshots are in the dump too.
  server = await startTestServer({ SNAPSHOT_EVERY: '1' });
});
afterAll(() => server.close());

const ok = (query: string, variables?: Record<string, unknown>) => server.ok(query, variables);

/**
 * A customer with a paid (and shipped) order and a cancelled one (its reason typed by them), and what is personal
 * about them. Shipped, the paid order is left as it is by the deactivation, which cancels open orders.
 */
async function customerWithOrders(tag: string) {
  const personal = {
    name: `Ada Forgettable ${tag}`,
    email: `ada.forgettable.${tag}@example.com`,
    reason: `Ada ${tag} changed her mind about the pen`,
  };
  const registered = await ok('mutation ($i: RegisterCustomerInput!) { registerCustomer(input: $i) { aggregateId } }', {
    i: { name: personal.name, email: personal.email },
  });
  const customerId = registered.registerCustomer.aggregateId as string;
  const place = async () =>
    (
      await ok('mutation ($i: PlaceOrderInput!) { placeOrder(input: $i) { aggregateId } }', {
        i: { customerId, items: [{ productId: 'pen', quantity: 3, unitPrice: '2.50' }] },
      })
    ).placeOrder.aggregateId as string;
  const paid = await place();
  await ok('mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }', { o: paid });
  await ok('mutation ($o: ID!) { shipOrder(input: { orderId: $o }) { version } }', { o: paid });
  const cancelled = await place();
  await ok('mutation ($o: ID!, $r: String) { cancelOrder(input: { orderId: $o, reason: $r }) { version } }', {
    o: cancelled,
    r: personal.reason,
  });
  // The deactivation's reason is personal too.
  await ok('mutation ($c: ID!, $r: String) { deactivateCustomer(input: { customerId: $c, reason: $r }) { version } }', {
    c: customerId,
    r: `${personal.reason} and left`,
  });
  return { customerId, paid, cancelled, personal };
}

const FORGET = `mutation ($c: ID!) {
  forgetCustomer(input: { customerId: $c }) {
    aggregateId version events { eventType personalDataErased } customer { name email deactivationReason }
  }
}`;

const EVENT_FIELDS = `eventType payload personalDataErased
  ... on CustomerRegistered { name email }
  ... on CustomerDeactivated { reason }
  ... on OrderCancelled { reason }
  ... on OrderPlaced { total { amount currencyCode } }
  ... on OrderPaid { amount { amount } }`;

const CUSTOMER = `query ($c: ID!) {
  customer(id: $c) { name email active deactivationReason orderCount lifetimeSpend { amount currencyCode } }
}`;
const ORDER = 'query ($o: ID!) { order(id: $o) { status total { amount } cancellationReason } }';

it('erases the personal fields from every read, keeps the orders and totals, and is idempotent', async () => {
  const { customerId, paid, cancelled, personal } = await customerWithOrders('e2e');
  const before = await ok(CUSTOMER, { c: customerId });
  expect(before.customer).toMatchObject({ name: personal.name, orderCount: 2 });
  expect((await ok(ORDER, { o: cancelled })).order.cancellationReason).toBe(personal.reason);

  const forgotten = await ok(FORGET, { c: customerId });
  expect(forgotten.forgetCustomer).toEqual({
    aggregateId: customerId,
    version: 3,
    events: [{ eventType: 'CustomerForgotten', personalDataErased: false }],
    customer: { name: null, email: null, deactivationReason: null },
  });

  // The log: the customer's events and their orders'.
  const log = await ok(`query ($c: ID) { events(filter: { aggregateId: $c }) { nodes { ${EVENT_FIELDS} } } }`, {
    c: customerId,
  });
  expect(log.events.nodes).toEqual([
    {
      eventType: 'CustomerRegistered',
      payload: { name: null, email: null },
      personalDataErased: true,
      name: null,
      email: null,
    },
    { eventType: 'CustomerDeactivated', payload: { reason: null }, personalDataErased: true, reason: null },
    { eventType: 'CustomerForgotten', payload: {}, personalDataErased: false },
  ]);
  const history = await ok(`query ($o: ID!) { orderHistory(orderId: $o) { ${EVENT_FIELDS} } }`, { o: cancelled });
  expect(history.orderHistory).toEqual([
    expect.objectContaining({ eventType: 'OrderPlaced', personalDataErased: false, total: expect.anything() }),
    { eventType: 'OrderCancelled', payload: { reason: null }, personalDataErased: true, reason: null },
  ]);
  expect(
    (await ok(`query ($o: ID!) { orderHistory(orderId: $o) { ${EVENT_FIELDS} } }`, { o: paid })).orderHistory,
  ).toMatchObject([
    { eventType: 'OrderPlaced', total: { amount: '7.50', currencyCode: 'EUR' } },
    { eventType: 'OrderPaid', amount: { amount: '7.50' }, personalDataErased: false },
    { eventType: 'OrderShipped', personalDataErased: false },
  ]);

  // The query tables: the customer without name, email or reason, with the same orders and totals.
  const after = { ...before.customer, name: null, email: null, deactivationReason: null };
  expect((await ok(CUSTOMER, { c: customerId })).customer).toEqual(after);
  expect((await ok(ORDER, { o: cancelled })).order).toEqual({
    status: 'CANCELLED',
    total: { amount: '7.50' },
    cancellationReason: null,
  });

  // Rebuilt from the log, the tables say the same.
  await rebuild(server, 'customers');
  await rebuild(server, 'orders');
  expect((await ok(CUSTOMER, { c: customerId })).customer).toEqual(after);
  expect((await ok(ORDER, { o: cancelled })).order.cancellationReason).toBeNull();

  // A live subscription from the start of the customer's stream.
  const live = collect(
    server.ws(),
    `subscription ($c: ID) { events(after: "0", filter: { aggregateId: $c }) { ${EVENT_FIELDS} } }`,
    { c: customerId },
    (data) => data.events,
  );
  const streamed = await live.until(3);
  live.stop();
  expect(
    streamed.map((e: { eventType: string; personalDataErased: boolean }) => [e.eventType, e.personalDataErased]),
  ).toEqual([
    ['CustomerRegistered', true],
    ['CustomerDeactivated', true],
    ['CustomerForgotten', false],
  ]);
  expect(streamed[0]).toMatchObject({ name: null, email: null });

  // Again: nothing more recorded.
  const again = await ok(FORGET, { c: customerId });
  expect(again.forgetCustomer).toMatchObject({ version: 3, events: [], customer: { name: null } });
});

it('refuses orders for a forgotten customer', async () => {
  const registered = await ok(
    'mutation { registerCustomer(input: { name: "Gone", email: "gone@example.com" }) { aggregateId } }',
  );
  const customerId = registered.registerCustomer.aggregateId;
  await ok(FORGET, { c: customerId });
  const res = await server.gql('mutation ($i: PlaceOrderInput!) { placeOrder(input: $i) { aggregateId } }', {
    i: { customerId, items: [{ productId: 'pen', quantity: 1, unitPrice: '1.00' }] },
  });
  expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.rule])).toEqual([
    ['BUSINESS_RULE_VIOLATION', 'CUSTOMER_FORGOTTEN'],
  ]);
});

it('refuses an unknown customer as NOT_FOUND', async () => {
  const res = await server.gql(FORGET, { c: 'no-such-customer' });
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
});

it("erases the request hashes of the customer's commands, and still answers their retries from the log", async () => {
  const input = { name: 'Ada Hashed', email: 'ada.hashed@example.com', commandId: 'register-ada-hashed' };
  const register = 'mutation ($i: RegisterCustomerInput!) { registerCustomer(input: $i) { aggregateId version } }';
  const customerId = (await ok(register, { i: input })).registerCustomer.aggregateId as string;
  const orderId = (
    await ok('mutation ($i: PlaceOrderInput!) { placeOrder(input: $i) { aggregateId } }', {
      i: { customerId, items: [{ productId: 'pen', quantity: 1, unitPrice: '2.50' }] },
    })
  ).placeOrder.aggregateId as string;
  await ok(
    'mutation ($o: ID!, $r: String) { cancelOrder(input: { orderId: $o, reason: $r, commandId: "c1" }) { version } }',
    {
      o: orderId,
      r: 'Ada Hashed typed this',
    },
  );
  const hashes = async () =>
    (
      await server.sql.query<{ aggregate_id: string; request_hash: string }>(
        'SELECT aggregate_id, request_hash FROM processed_commands WHERE aggregate_id = ANY($1) ORDER BY aggregate_id',
        [[customerId, orderId]],
      )
    ).rows;
  expect((await hashes()).map((r) => r.request_hash)).toEqual([
    expect.stringMatching(/^[0-9a-f]{64}$/),
    expect.stringMatching(/^[0-9a-f]{64}$/),
  ]);

  await ok(FORGET, { c: customerId });

  expect((await hashes()).map((r) => r.request_hash)).toEqual(['erased', 'erased']);
  // The retry is the command already done: its first answer, not a conflict with an input nothing remembers.
  expect((await ok(register, { i: input })).registerCustomer).toEqual({ aggregateId: customerId, version: 1 });
});
