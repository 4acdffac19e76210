import { randomUUID } from 'node:crypto';
import { heldProjector } from '../support/held-projector';
import { caughtUp } from '../support/read-model';
import { appendRaw } from '../support/raw-events';
import { startTestServer, type TestServer } from '../support/server';
import { collect } from '../support/subscriptions';

// Typed events: every place that returns events returns the Event interface, each event as the object type of its
// eventType with its payload as typed fields (read from the payload as decoded, so an event stored in an older
// shape shows its current one). Events of types the schema does not know are left out rather than failing a page.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Every event type's own fields, selected with fragments on the interface's implementations. */
const TYPED = `
  __typename eventType aggregateType version
  ... on OrderPlaced { customerId total { amount currencyCode } currency items { productId quantity unitPrice lineTotal price { amount currencyCode } total { amount } } }
  ... on ItemAdded { item { productId quantity unitPrice price { amount currencyCode } } }
  ... on OrderPaid { amount { amount currencyCode } }
  ... on OrderCancelled { reason }
  ... on CustomerRegistered { name email }
  ... on CustomerDeactivated { reason }
`;

const ok = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  server.ok(query, variables, headers);

const REGISTER = `mutation ($n: String!, $e: String!) {
  registerCustomer(input: { name: $n, email: $e }) { aggregateId events { ${TYPED} } }
}`;
const PLACE = `mutation ($c: ID!) {
  placeOrder(input: { customerId: $c, currency: USD, items: [{ productId: "book", quantity: 2, unitPrice: "29.99" }] }) {
    aggregateId events { ${TYPED} }
  }
}`;

/** A customer with an order placed, added to, paid and shipped, and another placed and cancelled with a reason. */
async function history() {
  const registered = await ok(REGISTER, { n: 'Typed', e: `typed-${randomUUID()}@example.com` });
  const customerId: string = registered.registerCustomer.aggregateId;
  const placed = await ok(PLACE, { c: customerId });
  const orderId: string = placed.placeOrder.aggregateId;
  await ok(
    `mutation ($o: ID!) { addItem(input: { orderId: $o, item: { productId: "pen", quantity: 1, unitPrice: "0.50" } }) { version } }`,
    { o: orderId },
  );
  await ok(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
  await ok(`mutation ($o: ID!) { shipOrder(input: { orderId: $o }) { version } }`, { o: orderId });
  const cancelledId: string = (await ok(PLACE, { c: customerId })).placeOrder.aggregateId;
  await ok(`mutation ($o: ID!) { cancelOrder(input: { orderId: $o, reason: "too late" }) { version } }`, {
    o: cancelledId,
  });
  await ok(`mutation ($c: ID!) { deactivateCustomer(input: { customerId: $c }) { version } }`, { c: customerId });
  return { customerId, orderId, cancelledId, registered, placed };
}

const orderPlaced = (customerId: string) => ({
  __typename: 'OrderPlaced',
  eventType: 'OrderPlaced',
  aggregateType: 'Order',
  version: 1,
  customerId,
  total: { amount: '59.98', currencyCode: 'USD' },
  currency: 'USD',
  items: [
    {
      productId: 'book',
      quantity: 2,
      unitPrice: '29.99',
      lineTotal: '59.98',
      price: { amount: '29.99', currencyCode: 'USD' },
      total: { amount: '59.98' },
    },
  ],
});
const shippedOrder = (customerId: string) => [
  orderPlaced(customerId),
  {
    __typename: 'ItemAdded',
    eventType: 'ItemAdded',
    aggregateType: 'Order',
    version: 2,
    item: { productId: 'pen', quantity: 1, unitPrice: '0.50', price: { amount: '0.50', currencyCode: 'USD' } },
  },
  {
    __typename: 'OrderPaid',
    eventType: 'OrderPaid',
    aggregateType: 'Order',
    version: 3,
    amount: { amount: '60.48', currencyCode: 'USD' },
  },
  { __typename: 'OrderShipped', eventType: 'OrderShipped', aggregateType: 'Order', version: 4 },
];

it('returns each event type with its typed fields from events, orderHistory and command results', async () => {
  const { customerId, orderId, cancelledId, registered, placed } = await history();

  expect(registered.registerCustomer.events).toEqual([
    {
      __typename: 'CustomerRegistered',
      eventType: 'CustomerRegistered',
      aggregateType: 'Customer',
      version: 1,
      name: 'Typed',
      email: expect.stringMatching(/^typed-.*@example\.com$/),
    },
  ]);
  expect(placed.placeOrder.events).toEqual([orderPlaced(customerId)]);

  const trail = await ok(`query ($o: ID!) { orderHistory(orderId: $o) { ${TYPED} } }`, { o: orderId });
  expect(trail.orderHistory).toEqual(shippedOrder(customerId));

  const log = async (aggregateId: string) =>
    (await ok(`query ($a: ID) { events(filter: { aggregateId: $a }) { nodes { ${TYPED} } } }`, { a: aggregateId }))
      .events.nodes;
  expect(await log(orderId)).toEqual(shippedOrder(customerId));
  expect((await log(cancelledId)).at(-1)).toEqual({
    __typename: 'OrderCancelled',
    eventType: 'OrderCancelled',
    aggregateType: 'Order',
    version: 2,
    reason: 'too late',
  });
  expect((await log(customerId)).at(-1)).toEqual({
    __typename: 'CustomerDeactivated',
    eventType: 'CustomerDeactivated',
    aggregateType: 'Customer',
    version: 2,
    reason: null,
  });
});

it('returns an event as its type from node and nodes, fields and envelope alike', async () => {
  const { customerId, orderId } = await history();
  const trail = await ok(`query ($o: ID!) { orderHistory(orderId: $o) { id } }`, { o: orderId });
  const ids: string[] = trail.orderHistory.map((e: { id: string }) => e.id);
  const one = await ok(`query ($id: ID!) { node(id: $id) { id ... on Event { ${TYPED} } } }`, { id: ids[2] });
  expect(one.node).toEqual({ id: ids[2], ...shippedOrder(customerId)[2] });
  const all = await ok(`query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Event { ${TYPED} } } }`, { ids });
  expect(all.nodes).toEqual(shippedOrder(customerId));
});

it('delivers typed events to an events subscription', async () => {
  const { customerId, orderId } = await history();
  const sub = collect<unknown>(
    server.ws(),
    `subscription ($o: ID) { events(after: "0", filter: { aggregateId: $o }) { ${TYPED} } }`,
    { o: orderId },
    (d) => d.events,
  );
  expect(await sub.until(4)).toEqual(shippedOrder(customerId));
  sub.stop();
});

it('filters by event type and aggregate type, given as enum values', async () => {
  const { orderId, cancelledId } = await history();
  const paid = await ok(
    `{ events(first: 1000, filter: { eventTypes: [OrderPaid], aggregateType: Order }) { nodes { __typename aggregateId } } }`,
  );
  expect(paid.events.nodes.every((e: { __typename: string }) => e.__typename === 'OrderPaid')).toBe(true);
  const ids = paid.events.nodes.map((e: { aggregateId: string }) => e.aggregateId);
  expect(ids).toContain(orderId);
  expect(ids).not.toContain(cancelledId);
  const none = await ok(`{ events(filter: { eventTypes: [OrderPaid], aggregateType: Customer }) { nodes { id } } }`);
  expect(none.events.nodes).toEqual([]);
});

it('refuses a type the enum does not have before running anything, as the bad input it is', async () => {
  // A literal of the wrong type fails validation; the edge reports it as BAD_USER_INPUT, as the same value in a
  // variable is (src/edge/errors.ts): one code for both.
  const refusals = [
    await server.gql(`{ events(filter: { eventTypes: [OrderRefunded] }) { nodes { id } } }`),
    await server.gql(`{ events(filter: { aggregateType: "Order" }) { nodes { id } } }`),
    await server.gql(`query ($t: [EventType!]) { events(filter: { eventTypes: $t }) { nodes { id } } }`, {
      t: ['OrderRefunded'],
    }),
  ];
  for (const refused of refusals) {
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  }
  expect(refusals[0]!.errors![0]!.message).toMatch(/OrderRefunded.*EventType/);
  const subscription = collect<unknown>(
    server.ws(),
    `subscription { events(filter: { eventTypes: [OrderRefunded] }) { id } }`,
    {},
    (d) => d.events,
  );
  await subscription.done();
  // graphql-ws hands the validation errors over as one list.
  expect(subscription.errors).toEqual([[expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })]]);
});

it('shows a version 1 OrderPlaced (stored before orders had a currency) in its current shape', async () => {
  const { customerId } = await history();
  const orderId = randomUUID();
  await appendRaw(server.sql, [
    {
      aggregateId: orderId,
      version: 1,
      type: 'OrderPlaced',
      payload: { customerId, items: [{ productId: 'book', quantity: 2, unitPrice: '29.99' }], totalAmount: '59.98' },
    },
  ]);
  await caughtUp(server);
  const placedInUsd = orderPlaced(customerId);
  const legacy = {
    ...placedInUsd,
    currency: 'EUR',
    total: { amount: '59.98', currencyCode: 'EUR' },
    items: placedInUsd.items.map((item) => ({ ...item, price: { amount: '29.99', currencyCode: 'EUR' } })),
  };
  const log = await ok(`query ($o: ID) { events(filter: { aggregateId: $o }) { nodes { schemaVersion ${TYPED} } } }`, {
    o: orderId,
  });
  expect(log.events.nodes).toEqual([{ schemaVersion: 2, ...legacy }]);
  const trail = await ok(`query ($o: ID!) { orderHistory(orderId: $o) { ${TYPED} } }`, { o: orderId });
  expect(trail.orderHistory).toEqual([legacy]);
  const sub = collect<unknown>(
    server.ws(),
    `subscription ($o: ID) { events(after: "0", filter: { aggregateId: $o }) { ${TYPED} } }`,
    { o: orderId },
    (d) => d.events,
  );
  expect(await sub.until(1)).toEqual([legacy]);
  sub.stop();
});

it('links an OrderPlaced to its customer, as the caller may see them (a customer: themselves)', async () => {
  const { customerId, orderId } = await history();
  const query = `query ($o: ID) { events(filter: { aggregateId: $o, eventTypes: [OrderPlaced] }) {
    nodes { ... on OrderPlaced { customer { id name } } }
  } }`;
  const asStaff = await ok(query, { o: orderId }, await server.as({ role: 'staff' }));
  expect(asStaff.events.nodes).toEqual([{ customer: { id: customerId, name: 'Typed' } }]);
  const asCustomer = await ok(query, { o: orderId }, await server.as({ role: 'customer', customerId }));
  expect(asCustomer.events.nodes).toEqual([{ customer: { id: customerId, name: 'Typed' } }]);
});

it('leaves out an event of a type the schema does not know, in pages, subscriptions and node alike', async () => {
  const head = await ok(`{ events(first: 1000) { pageInfo { endCursor } } }`);
  const unknownId = randomUUID();
  const appended = await server.app.services.store.append({
    aggregateId: unknownId,
    aggregateType: 'Order',
    expectedVersion: 'no-stream',
    events: [{ eventType: 'OrderRefunded', payload: { amount: '1.00' } }],
    metadata: { correlationId: 'newer-version', causationId: 'newer-version', userId: null },
  });
  const { customerId } = await history();
  const after = head.events.pageInfo.endCursor;
  // Everything after the unknown event, which the page skips without failing.
  const page = await ok(
    `query ($after: String) { events(first: 1000, after: $after) { nodes { __typename aggregateId } } }`,
    {
      after,
    },
  );
  const types = page.events.nodes.map((e: { __typename: string }) => e.__typename);
  expect(types).toContain('CustomerRegistered');
  expect(page.events.nodes.map((e: { aggregateId: string }) => e.aggregateId)).not.toContain(unknownId);
  expect(page.events.nodes.some((e: { aggregateId: string }) => e.aggregateId === customerId)).toBe(true);

  const node = await ok(`query ($id: ID!) { node(id: $id) { id } }`, { id: appended.events[0]!.eventId });
  expect(node.node).toBeNull();

  const sub = collect<{ aggregateId: string; eventType: string }>(
    server.ws(),
    `subscription ($after: String) { events(after: $after, filter: { aggregateType: Order }) { aggregateId eventType } }`,
    { after },
    (d) => d.events,
  );
  // history() appended 6 order events after the unknown one.
  const got = await sub.until(6);
  sub.stop();
  expect(sub.errors).toEqual([]);
  expect(got.map((e) => e.aggregateId)).not.toContain(unknownId);
  expect(got[0]!.eventType).toBe('OrderPlaced');
});

describe('amounts of events whose order the projector has not reached', () => {
  const orders = heldProjector('orders');
  let held: TestServer;
  beforeAll(async () => {
    held = await startTestServer(
      { READ_MODEL_WAIT_MS: '1', QUERY_MAX_COST: '100000000' },
      { projection: { beforeCommit: orders.beforeCommit } },
    );
  });
  afterEach(orders.letGo);
  afterAll(() => held.close());

  it("take the order's currency from its stream: ItemAdded.item and OrderPaid.amount in JPY", async () => {
    const customer = await held.gql(
      `mutation { registerCustomer(input: { name: "Yu", email: "yu@example.com" }) { aggregateId } }`,
    );
    const customerId = customer.data!.registerCustomer.aggregateId;
    const inBatch = orders.hold();
    const placed = await held.gql(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, currency: JPY, items: [{ productId: "tea", quantity: 1, unitPrice: "1200" }] }) { aggregateId } }`,
      { c: customerId },
    );
    const orderId = placed.data!.placeOrder.aggregateId;
    await inBatch;
    await held.gql(
      `mutation ($o: ID!) { addItem(input: { orderId: $o, item: { productId: "cup", quantity: 2, unitPrice: "800" } }) { version } }`,
      { o: orderId },
    );
    await held.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
    const log = await held.gql(`query ($o: ID!) { order(id: $o) { id } orderHistory(orderId: $o) { ${TYPED} } }`, {
      o: orderId,
    });
    expect(log.errors).toBeUndefined();
    expect(log.data!.order).toBeNull();
    expect(
      log.data!.orderHistory.map((event: Record<string, unknown>) => event.item ?? event.amount ?? event.total),
    ).toEqual([
      { amount: '1200', currencyCode: 'JPY' },
      { productId: 'cup', quantity: 2, unitPrice: '800', price: { amount: '800', currencyCode: 'JPY' } },
      { amount: '2800', currencyCode: 'JPY' },
    ]);
  });
});
