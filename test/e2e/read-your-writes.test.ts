import { randomUUID } from 'node:crypto';
import { heldProjector } from '../support/held-projector';
import { subscriptionStarts } from '../support/subscription-starts';
import { collect } from '../support/subscriptions';
import { startTestServer, withoutCost, type GraphQLResponse, type TestServer } from '../support/server';

/**
 * A mutation answers from its own fold without waiting for the projectors; the next read of the query tables waits
 * for them instead. The orders projector here can be held inside its batch (see test/support/held-projector.ts).
 */
let server: TestServer;
const orders = heldProjector('orders');
const starts = subscriptionStarts();
const { hold, letGo } = orders;
const WAIT_MS = 3000;

beforeAll(async () => {
  server = await startTestServer(
    { READ_MODEL_WAIT_MS: String(WAIT_MS) },
    {
      projection: { beforeCommit: orders.beforeCommit },
      schema: starts.schema,
    },
  );
});
// A test that fails while holding the projector must not leave the next one waiting behind it.
afterEach(letGo);
afterAll(() => server.close());

const PLACE = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { position order { id status itemCount totalAmount version createdAt updatedAt } }
}`;
const ORDER = `query ($id: ID!) { order(id: $id) { id status itemCount totalAmount version createdAt updatedAt } }`;

async function customer(name: string): Promise<string> {
  const res = await server.gql(
    `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`,
    { input: { name, email: `${name.toLowerCase()}@example.com` } },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.registerCustomer.aggregateId;
}

const items = [{ productId: 'p', quantity: 3, unitPrice: '2.50' }];

it('answers a mutation while the projector is still held, with the state the query table then holds', async () => {
  const customerId = await customer('Unheld');
  const inBatch = hold();
  const placed = await server.gql(PLACE, { input: { customerId, items } });
  expect(placed.errors).toBeUndefined();
  expect(placed.extensions).toBeUndefined();
  await inBatch;
  letGo();
  const order = placed.data!.placeOrder.order;
  expect(order).toMatchObject({ status: 'PLACED', itemCount: 3, totalAmount: '7.50', version: 1 });
  const read = await server.gql(ORDER, { id: order.id });
  expect(read.extensions).toBeUndefined();
  expect(read.data!.order).toEqual(order);
});

it("holds a query back until the projectors have passed this instance's writes, and says so if they do not", async () => {
  const customerId = await customer('Fenced');
  const inBatch = hold();
  const placed = await server.gql(PLACE, { input: { customerId, items } });
  const id = placed.data!.placeOrder.order.id;
  await inBatch;
  // The projector stays held past the wait: the query goes ahead on the table as it stands (no such order yet),
  // and the warning tells the client why it does not see its write.
  const stale = await server.gql(ORDER, { id });
  expect(stale.data!.order).toBeNull();
  expect(stale.extensions?.warnings).toEqual([expect.objectContaining({ code: 'READ_MODEL_STALE' })]);
  // Sent while the projector is held and let go once it has been sent: it waits and then shows the write.
  const pending = server.gql(ORDER, { id });
  letGo();
  const read = await pending;
  expect(read.extensions).toBeUndefined();
  expect(read.data!.order).toEqual(placed.data!.placeOrder.order);
});

it("waits for the nested reads of a mutation's own answer too (its customer's order count counts this order)", async () => {
  const customerId = await customer('Counted');
  const res = await server.gql(
    `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { version customer { orderCount } } } }`,
    { input: { customerId, items } },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.placeOrder.order).toEqual({ version: 1, customer: { orderCount: 1 } });
});

it('holds back an `events` page until the gap-safe log shows the write', async () => {
  const customerId = await customer('Logged');
  // A transaction that began before the command and is still open: the gap-safe reader shows nothing after it.
  const earlier = await server.sql.connect();
  try {
    await earlier.query('BEGIN');
    await earlier.query('SELECT pg_current_xact_id()');
    const placed = await server.gql(PLACE, { input: { customerId, items } });
    expect(placed.errors).toBeUndefined();
    const EVENTS = `query ($id: ID) { events(filter: { aggregateId: $id }) { nodes { eventType } } }`;
    const variables = { id: placed.data!.placeOrder.order.id };
    const stale = await server.gql(EVENTS, variables);
    expect(stale.data!.events.nodes).toEqual([]);
    expect(stale.extensions?.warnings).toEqual([expect.objectContaining({ code: 'READ_MODEL_STALE' })]);
    const pending = server.gql(EVENTS, variables);
    await earlier.query('COMMIT');
    const read = await pending;
    expect(read.extensions).toBeUndefined();
    expect(read.data!.events.nodes).toEqual([{ eventType: 'OrderPlaced' }]);
  } finally {
    earlier.release();
  }
});

it('pushes the changes of a batch that coalesced several commands in log order, on an instance that reads them back', async () => {
  // A second instance on the same database: the projectors run on the first, so this one's feed reads every row
  // back from the table, in whatever order the table returns them.
  const other = await startTestServer({}, { db: server.db, schema: starts.schema });
  try {
    const customerId = await customer('Ordered');
    const before = starts.count('ordersChanged');
    const changes = collect<{ id: string }>(
      other.ws(),
      `subscription ($c: ID) { ordersChanged(filter: { customerId: $c }) { id } }`,
      { c: customerId },
      (d) => d.ordersChanged,
    );
    await starts.until('ordersChanged', before + 1);
    // The first order's batch is held: the next five, placed meanwhile, reach the other instance's feed together.
    const inBatch = hold();
    const placed = [(await server.gql(PLACE, { input: { customerId, items } })).data!.placeOrder.order.id];
    await inBatch;
    for (let i = 0; i < 5; i++) {
      placed.push((await server.gql(PLACE, { input: { customerId, items } })).data!.placeOrder.order.id);
    }
    letGo();
    const pushed = await changes.until(placed.length);
    changes.stop();
    expect(pushed.map((o) => o.id)).toEqual(placed);
  } finally {
    await other.app.stop();
    await other.sql.end();
  }
});

describe('Read-After-Position', () => {
  it('holds a read back until the projectors have passed a position written elsewhere', async () => {
    const customerId = await customer('Elsewhere');
    const inBatch = hold();
    // Appended by this process's store but not through its API: as far as this instance's reads know, the
    // command of another instance.
    const orderId = randomUUID();
    const appended = await server.app.services.store.append({
      aggregateId: orderId,
      aggregateType: 'Order',
      expectedVersion: 'no-stream',
      events: [
        {
          eventType: 'OrderPlaced',
          payload: { customerId, items, totalAmount: '7.50', currency: 'EUR' },
        },
      ],
      metadata: { correlationId: randomUUID(), causationId: randomUUID(), userId: null },
      ownerId: customerId,
    });
    await inBatch;
    const unasked = await server.gql(ORDER, { id: orderId });
    expect(unasked.data!.order).toBeNull();
    expect(unasked.extensions).toBeUndefined();
    const header = { 'read-after-position': String(appended.position) };
    const stale = await server.gql(ORDER, { id: orderId }, header);
    expect(stale.data!.order).toBeNull();
    expect(stale.extensions?.warnings).toEqual([expect.objectContaining({ code: 'READ_MODEL_STALE' })]);
    const pending = server.gql(ORDER, { id: orderId }, header);
    letGo();
    const read = await pending;
    expect(read.extensions).toBeUndefined();
    expect(read.data!.order).toMatchObject({ id: orderId, status: 'PLACED', totalAmount: '7.50', version: 1 });
  });

  /** One query of the query tables with this Read-After-Position, as an admin: its status and body. */
  async function readAfter(position: bigint | string, query = '{ orderStatusCounts { status count } }') {
    const res = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'read-after-position': String(position),
        ...(await server.as({ role: 'admin' })),
      },
      body: JSON.stringify({ query }),
    });
    return {
      status: res.status,
      body: (await res.json()) as GraphQLResponse<unknown>,
    };
  }
  const newest = async () =>
    BigInt((await server.sql.query<{ head: string }>('SELECT max(position)::text AS head FROM events')).rows[0]!.head);

  it('refuses a position beyond the newest event in the log with BAD_USER_INPUT and status 400, waiting for nothing', async () => {
    await customer('Beyond');
    const head = await newest();
    for (const position of [head + 1n, head + 2n ** 32n, 2n ** 63n - 1n]) {
      const { status, body } = await readAfter(position);
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('Read-After-Position'),
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
        }),
      ]);
      expect(body.data).toBeUndefined();
    }
  });

  it('accepts a position at the newest event, or below it', async () => {
    await customer('Within');
    const head = await newest();
    for (const position of [head, head - 1n, 0n]) {
      const { status, body } = await readAfter(position);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(withoutCost(body).extensions).toBeUndefined();
    }
  });

  it('accepts the position of an event another instance committed that this one cannot read yet', async () => {
    const customerId = await customer('Unread');
    // A transaction that began before the append and is still open: this instance's gap-safe tailer cannot read
    // past it, so only the log itself can say that the position exists.
    const earlier = await server.sql.connect();
    try {
      await earlier.query('BEGIN');
      await earlier.query('SELECT pg_current_xact_id()');
      const appended = await server.app.services.store.append({
        aggregateId: randomUUID(),
        aggregateType: 'Order',
        expectedVersion: 'no-stream',
        events: [{ eventType: 'OrderPlaced', payload: { customerId, items, totalAmount: '7.50', currency: 'EUR' } }],
        metadata: { correlationId: randomUUID(), causationId: randomUUID(), userId: null },
        ownerId: customerId,
      });
      expect(server.app.services.tailer.head).toBeLessThan(appended.position);
      // A query that reads no table: the header is checked, and nothing waits for the projectors held behind it.
      const { status, body } = await readAfter(appended.position, '{ __typename }');
      expect({ status, body: withoutCost(body) }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    } finally {
      await earlier.query('COMMIT');
      earlier.release();
    }
  });

  it('refuses a header that is not a position with BAD_USER_INPUT and status 400', async () => {
    const res = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'read-after-position': 'abc',
        ...(await server.as({ role: 'admin' })),
      },
      body: JSON.stringify({ query: '{ orderStatusCounts { status count } }' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: unknown[] };
    expect(body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
