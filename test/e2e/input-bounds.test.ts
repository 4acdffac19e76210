import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { randomUUID } from 'node:crypto';
import { caughtUp, projections } from '../support/read-model';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';

// Whatever the API accepts, every projector can apply and every response can carry; whatever it cannot, it refuses
// with BAD_USER_INPUT and appends nothing (poison events, replies that lie, strings storage cannot hold).

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`;
const PLACE = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { aggregateId version order { totalAmount itemCount } }
}`;
const ADD_ITEM = `mutation ($input: AddItemInput!) { addItem(input: $input) { version } }`;
const PAY = `mutation ($input: PayOrderInput!) { payOrder(input: $input) { version order { status } } }`;
const CANCEL = `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { version } }`;
const DEACTIVATE = `mutation ($input: DeactivateCustomerInput!) { deactivateCustomer(input: $input) { version } }`;

// A megabyte: with the JSON around it, still under the default 1 MiB body limit.
const MB = 1_000_000;
const item = (unitPrice: string, quantity = 1, productId = 'p') => ({ productId, quantity, unitPrice });

let server: TestServer;
let customerId: string;
beforeAll(async () => {
  server = await startTestServer();
  const res = await server.gql(REGISTER, { input: { name: 'Bounds', email: 'bounds@example.com' } });
  customerId = res.data!.registerCustomer.aggregateId;
});
afterAll(() => server.close());

async function logHead(): Promise<{ n: string; last: string | null }> {
  const { rows } = await server.sql.query('SELECT count(*) AS n, max(position)::text AS last FROM events');
  return rows[0];
}

/** Sends one operation that must fail with BAD_USER_INPUT, and proves the log did not change. */
async function expectBadInput(query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  const before = await logHead();
  const res = await server.gql(query, variables);
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  expect(res.errors![0]!.message.length).toBeLessThan(500);
  expect(await logHead()).toEqual(before);
  return res;
}

async function placedOrder(): Promise<string> {
  const res = await server.gql(PLACE, { input: { customerId, items: [item('1.00')] } });
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder.aggregateId;
}

describe('amounts and quantities', () => {
  it.each(['1000000000000', '1'.repeat(40), '1000000.01'])(
    'refuses the unit price %s, over what an order may hold, and appends nothing',
    async (unitPrice) => {
      await expectBadInput(PLACE, { input: { customerId, items: [item(unitPrice)] } });
    },
  );

  it('refuses two items of quantity 2147483647 instead of appending them and failing the reply', async () => {
    await expectBadInput(PLACE, { input: { customerId, items: [item('1.00', 2147483647), item('1.00', 2147483647)] } });
  });

  it('applies the largest order the limits admit in every projector, exactly', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => item('1000000.00', 100_000, `max-${i}`));
    const placed = await server.gql(PLACE, { input: { customerId, items } });
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder.order).toEqual({ totalAmount: '100000000000000.00', itemCount: 100_000_000 });
    const orderId = placed.data!.placeOrder.aggregateId;
    const tooMany = await server.gql(ADD_ITEM, { input: { orderId, item: item('1.00') } });
    expect(tooMany.errors![0]!.extensions).toMatchObject({ code: 'BUSINESS_RULE_VIOLATION', rule: 'TOO_MANY_ITEMS' });
    const paid = await server.gql(PAY, { input: { orderId } });
    expect(paid.errors).toBeUndefined();
    await caughtUp(server);
    expect((await projections(server)).map((p) => p.status)).toEqual(['RUNNING', 'RUNNING']);
    const read = await server.gql(
      `query ($o: ID!, $c: ID!) { order(id: $o) { totalAmount itemCount } customer(id: $c) { lifetimeTotal } }`,
      { o: orderId, c: customerId },
    );
    expect(read.data).toEqual({
      order: { totalAmount: '100000000000000.00', itemCount: 100_000_000 },
      customer: { lifetimeTotal: '100000000000000.00' },
    });
  });

  it('applies an event from before the limits (a unit price of 10^12) instead of failing the projectors on it', async () => {
    // Appended as an older version of the service would have: the API refuses such an order now.
    const orderId = randomUUID();
    await server.app.services.store.append({
      aggregateId: orderId,
      aggregateType: 'Order',
      expectedVersion: 'no-stream',
      events: [
        {
          eventType: 'OrderPlaced',
          // Schema version 1: from before orders carried a currency, as an older service wrote it.
          schemaVersion: 1,
          payload: { customerId, items: [item('1000000000000.00', 3)], totalAmount: '3000000000000.00' },
        },
        { eventType: 'OrderPaid', payload: { amount: '3000000000000.00' } },
      ],
      metadata: { correlationId: orderId, causationId: orderId, userId: null },
    });
    await caughtUp(server);
    expect((await projections(server)).map((p) => p.status)).toEqual(['RUNNING', 'RUNNING']);
    const read = await server.gql(`query ($o: ID!) { order(id: $o) { totalAmount status } }`, { o: orderId });
    expect(read.data!.order).toEqual({ totalAmount: '3000000000000.00', status: 'PAID' });
  });
});

describe('strings', () => {
  const nul = 'a\u0000b';
  const loneSurrogate = 'a\ud800b';

  it.each([
    ['a NUL in a name', REGISTER, () => ({ input: { name: nul, email: 'n@example.com' } })],
    ['a lone surrogate in a name', REGISTER, () => ({ input: { name: loneSurrogate, email: 'n@example.com' } })],
    ['a control character in a name', REGISTER, () => ({ input: { name: 'a\u0007b', email: 'n@example.com' } })],
    ['a 1 MB name', REGISTER, () => ({ input: { name: 'n'.repeat(MB), email: 'n@example.com' } })],
    ['a 1 MB email', REGISTER, () => ({ input: { name: 'N', email: `${'e'.repeat(MB)}@example.com` } })],
    ['a quadratic-backtracking email', REGISTER, () => ({ input: { name: 'N', email: `a@${'a.'.repeat(MB / 4)}@` } })],
    ['a NUL in a commandId', REGISTER, () => ({ input: { name: 'N', email: 'n@example.com', commandId: nul } })],
    ['a 1 MB commandId', REGISTER, () => ({ input: { name: 'N', email: 'n@example.com', commandId: 'c'.repeat(MB) } })],
    [
      'a 1 MB correlationId',
      REGISTER,
      () => ({ input: { name: 'N', email: 'n@example.com', correlationId: 'c'.repeat(MB) } }),
    ],
    [
      'a lone surrogate in a correlationId',
      REGISTER,
      () => ({ input: { name: 'N', email: 'n@example.com', correlationId: loneSurrogate } }),
    ],
    ['a 1 MB product id', PLACE, () => ({ input: { customerId, items: [item('1.00', 1, 'p'.repeat(MB))] } })],
    ['a NUL in a product id', PLACE, () => ({ input: { customerId, items: [item('1.00', 1, nul)] } })],
    ['a 1 MB customer id', PLACE, () => ({ input: { customerId: 'c'.repeat(MB), items: [item('1.00')] } })],
    ['a NUL in a customer id', PLACE, () => ({ input: { customerId: nul, items: [item('1.00')] } })],
    ['a 1 MB deactivation reason', DEACTIVATE, () => ({ input: { customerId, reason: 'r'.repeat(MB) } })],
  ])('refuses %s with BAD_USER_INPUT and appends nothing', async (_label, query, variables) => {
    await expectBadInput(query, variables());
  });

  it.each([
    ['a 1 MB cancellation reason', (orderId: string) => ({ input: { orderId, reason: 'r'.repeat(MB) } })],
    ['a lone surrogate in a cancellation reason', (orderId: string) => ({ input: { orderId, reason: loneSurrogate } })],
    ['a NUL in an order id', () => ({ input: { orderId: nul } })],
  ])('refuses %s with BAD_USER_INPUT and appends nothing', async (_label, variables) => {
    await expectBadInput(CANCEL, variables(await placedOrder()));
  });

  it('keeps line breaks in a reason, which may span lines', async () => {
    const orderId = await placedOrder();
    const res = await server.gql(CANCEL, { input: { orderId, reason: 'changed my mind:\nordered twice' } });
    expect(res.errors).toBeUndefined();
    const history = await server.gql(`query ($o: ID!) { orderHistory(orderId: $o) { payload } }`, { o: orderId });
    expect(history.data!.orderHistory[1].payload).toEqual({ reason: 'changed my mind:\nordered twice' });
  });

  it.each([
    ['a NUL in an id variable', `query ($id: ID!) { order(id: $id) { id } }`, { id: nul }],
    ['a NUL in a document literal', `{ events(filter: { aggregateId: "a\\u0000b" }) { nodes { eventId } } }`, {}],
    [
      'a lone surrogate in a filter',
      `query ($c: ID) { events(filter: { correlationId: $c }) { nodes { eventId } } }`,
      { c: loneSurrogate },
    ],
    [
      'a NUL in an event type',
      `query ($t: [EventType!]) { events(filter: { eventTypes: $t }) { nodes { eventId } } }`,
      { t: ['OrderPlaced', nul] },
    ],
  ])('answers a read with %s with BAD_USER_INPUT rather than an internal error', async (_label, query, variables) => {
    const res = await server.gql(query, variables);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses an events filter listing more than 100 event types, over HTTP and graphql-ws', async () => {
    const types = Array.from({ length: 101 }, () => 'OrderPaid');
    const query = await server.gql(
      `query ($t: [EventType!]) { events(filter: { eventTypes: $t }) { nodes { eventId } } }`,
      {
        t: types,
      },
    );
    expect(query.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const live = await new Promise<unknown>((resolve) =>
      server.ws().subscribe(
        {
          query: `subscription ($t: [EventType!]) { events(filter: { eventTypes: $t }) { eventId } }`,
          variables: { t: types },
        },
        { next: resolve, error: resolve, complete: () => undefined },
      ),
    );
    expect(JSON.stringify(live)).toContain('BAD_USER_INPUT');
  });

  it.each([
    ['events', `query ($a: String) { events(after: $a) { nodes { eventId } } }`],
    ['orders', `query ($a: String) { orders(after: $a) { nodes { id } } }`],
  ])('answers a %s cursor beyond a 64-bit position with BAD_USER_INPUT', async (_label, query) => {
    for (const after of [
      '99999999999999999999',
      '9223372036854775808',
      Buffer.from('p:99999999999999999999').toString('base64url'),
    ]) {
      const res = await server.gql(query, { a: after });
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('a page of the log', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({ EVENTS_PAGE_BYTES: '4096' });
  });
  afterAll(() => small.close());

  it('holds at most EVENTS_PAGE_BYTES of events whatever `first` says, and paging on loses none', async () => {
    const registered = await small.gql(REGISTER, { input: { name: 'Pages', email: 'pages@example.com' } });
    const customer = registered.data!.registerCustomer.aggregateId;
    // Ten orders of about 1.3 KB of payload each.
    const items = Array.from({ length: 10 }, (_, i) => item('1.00', 1, `${'p'.repeat(90)}-${i}`));
    for (let i = 0; i < 10; i++)
      expect((await small.gql(PLACE, { input: { customerId: customer, items } })).errors).toBeUndefined();
    const PAGE = `query ($after: String) {
      events(first: 100, after: $after, filter: { eventTypes: [OrderPlaced] }) {
        nodes { eventId payload } pageInfo { hasNextPage endCursor }
      }
    }`;
    const seen: string[] = [];
    let pages = 0;
    for (let after: string | null = null; ; pages++) {
      const res: GraphQLResponse = await small.gql(PAGE, { after });
      const page = res.data!.events;
      expect(JSON.stringify(page.nodes).length).toBeLessThan(4096 + 2000);
      seen.push(...page.nodes.map((n: { eventId: string }) => n.eventId));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    const { rows } = await small.sql.query(
      `SELECT event_id FROM events WHERE event_type = 'OrderPlaced' ORDER BY position`,
    );
    expect(seen).toEqual(rows.map((r: { event_id: string }) => r.event_id));
  });
});

describe('a literal of the wrong type', () => {
  const QUERY = `mutation { placeOrder(input: { customerId: "c", items: [{ productId: "b", quantity: 1.5, unitPrice: "1.00" }] }) { aggregateId } }`;

  it('is BAD_USER_INPUT over HTTP and graphql-ws alike, as the same value in a variable is', async () => {
    const http = await server.gql(QUERY);
    expect(http.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const ws = await new Promise<unknown>((resolve) =>
      server.ws().subscribe({ query: QUERY }, { next: resolve, error: resolve, complete: () => undefined }),
    );
    expect((ws as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('who the caller is', () => {
  // The token's subject becomes every event's metadata.userId: one PostgreSQL could not store would fail every
  // command of that caller after its checks, so such a token is refused at the door.
  it.each([
    ['a NUL', 'u\u0000'],
    ['a lone surrogate', '\ud800x'],
  ])('refuses a correctly signed token whose subject holds %s, as UNAUTHENTICATED', async (_label, sub) => {
    const headers = await server.as({ role: 'staff', sub });
    // Names are stored encrypted: the registrations are counted instead.
    const registered = async () =>
      (await server.sql.query("SELECT count(*)::int AS n FROM events WHERE event_type = 'CustomerRegistered'")).rows[0]
        .n as number;
    const before = await registered();
    const res = await server.gql(REGISTER, { input: { name: 'Params', email: 'params@example.com' } }, headers);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(await registered()).toBe(before);
  });
});

describe('several commands in one operation', () => {
  it('keeps the result of one that was applied when another is refused', async () => {
    const res = await server.gql(`mutation {
      a: registerCustomer(input: { name: "Multi", email: "multi@example.com" }) { aggregateId }
      b: payOrder(input: { orderId: "no-such-order" }) { aggregateId }
    }`);
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['b'], 'NOT_FOUND']]);
    expect(res.data).toEqual({ a: { aggregateId: expect.any(String) }, b: null });
    const { rows } = await server.sql.query('SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1', [
      res.data!.a.aggregateId,
    ]);
    expect(rows[0].n).toBe(1);
  });
});

describe('a reply that fails after the command committed', () => {
  let broken: TestServer;
  beforeAll(async () => {
    // Valid input can no longer make a reply fail, so the failure is forced: Order.itemCount answers a number no
    // GraphQL Int can represent, as a read model beyond the API's types would.
    broken = await startTestServer(
      {},
      {
        schema: (schema) =>
          mapSchema(schema, {
            [MapperKind.OBJECT_FIELD]: (field, name, type) =>
              type === 'Order' && name === 'itemCount' ? { ...field, resolve: () => 2 ** 40 } : field,
          }),
      },
    );
  });
  afterAll(() => broken.close());

  it('still tells the client the command was applied, so a retry without a commandId does not apply it twice', async () => {
    const registered = await broken.gql(REGISTER, { input: { name: 'Lie', email: 'lie@example.com' } });
    const customer = registered.data!.registerCustomer.aggregateId;
    const res = await broken.gql(PLACE, { input: { customerId: customer, items: [item('2.00', 2)] } });
    expect(res.data!.placeOrder).toEqual({ aggregateId: expect.any(String), version: 1, order: null });
    expect(res.errors).toEqual([
      expect.objectContaining({
        path: ['placeOrder', 'order', 'itemCount'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      }),
    ]);
    const { rows } = await broken.sql.query(`SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1`, [
      res.data!.placeOrder.aggregateId,
    ]);
    expect(rows[0].n).toBe(1);
  });
});
