import { dumpReadModel, caughtUp, rebuild } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';
import { subscriptionStarts } from '../support/subscription-starts';
import { collect } from '../support/subscriptions';
import { runWorkload } from '../support/workload';

let server: TestServer;
let readQueries = 0;
const starts = subscriptionStarts();
beforeAll(async () => {
  // Reads of the query tables, by the API (db/reads.ts) or by Prisma's models; the event store's and the
  // projectors' statements are not counted (the projectors' go out on their own connections, unseen here).
  const queryTables = /FROM (?:"public"\.)?"(orders|customers|order_status_counts)"/;
  server = await startTestServer(
    {},
    { schema: starts.schema, onQuery: (sql) => void (queryTables.test(sql) && readQueries++) },
  );
});
afterAll(() => server.close());

const REGISTER = `mutation ($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { aggregateId customer { id name orderCount lifetimeTotal version } }
}`;
const PLACE = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { aggregateId version order { id status totalAmount version customer { orderCount } } }
}`;

async function register(name: string) {
  const res = await server.gql(REGISTER, { input: { name, email: `${name.toLowerCase()}@example.com` } });
  expect(res.errors).toBeUndefined();
  return res.data!.registerCustomer.aggregateId as string;
}

describe('read-your-writes', () => {
  it("answers with the mutation's own change, and its nested reads of the query tables show it too", async () => {
    const customerId = await register('Reader');
    const placed = await server.gql(PLACE, {
      input: { customerId, items: [{ productId: 'a', quantity: 2, unitPrice: '29.99' }] },
    });
    expect(placed.errors).toBeUndefined();
    expect(placed.extensions).toBeUndefined();
    // The customer's order count lives only in the customers query table: seeing 1 proves the nested read waited
    // for the projectors to pass this command.
    expect(placed.data!.placeOrder.order).toMatchObject({
      status: 'PLACED',
      totalAmount: '59.98',
      version: 1,
      customer: { orderCount: 1 },
    });
    const orderId = placed.data!.placeOrder.aggregateId;
    const paid = await server.gql(
      `mutation ($id: ID!) { payOrder(input: { orderId: $id }) { order { status paidAt customer { lifetimeTotal } } } }`,
      { id: orderId },
    );
    expect(paid.data!.payOrder.order).toMatchObject({
      status: 'PAID',
      paidAt: expect.any(String),
      customer: { lifetimeTotal: '59.98' },
    });
    const read = await server.gql(`query ($id: ID!) { order(id: $id) { status version } }`, { id: orderId });
    expect(read.data!.order).toEqual({ status: 'PAID', version: 2 });
  });

  it("answers from the command's own fold, without reading the table, equal to the row the table then holds", async () => {
    const customerId = await register('Handoff');
    const FIELDS =
      'id customerId status items { productId quantity unitPrice lineTotal } itemCount totalAmount version createdAt updatedAt';
    readQueries = 0;
    const placed = await server.gql(
      `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { order { ${FIELDS} } } }`,
      { input: { customerId, items: [{ productId: 'h', quantity: 3, unitPrice: '0.10' }] } },
    );
    expect(placed.errors).toBeUndefined();
    expect(placed.extensions).toBeUndefined();
    expect(readQueries).toBe(0);
    const order = placed.data!.placeOrder.order;
    expect(order).toMatchObject({ status: 'PLACED', totalAmount: '0.30', version: 1 });
    const read = await server.gql(`query ($id: ID!) { order(id: $id) { ${FIELDS} } }`, { id: order.id });
    expect(readQueries).toBe(1);
    expect(read.data!.order).toEqual(order);
  });

  it('pushes the ordersChanged message from the row the projector just wrote, equal to the table', async () => {
    const customerId = await register('Pusher');
    const before = starts.count('ordersChanged');
    const sub = collect<any>(
      server.ws(),
      `subscription ($c: ID) { ordersChanged(filter: { customerId: $c }) { id status totalAmount version updatedAt } }`,
      { c: customerId },
      (d) => d.ordersChanged,
    );
    await starts.until('ordersChanged', before + 1);
    readQueries = 0;
    const placed = await server.gql(PLACE, {
      input: { customerId, items: [{ productId: 'p', quantity: 1, unitPrice: '4.20' }] },
    });
    const orderId = placed.data!.placeOrder.aggregateId;
    const [pushed] = await sub.until(1);
    // The mutation's nested `customer` is the one read of the tables here; the pushed row needed none.
    expect(readQueries).toBe(1);
    sub.stop();
    const read = await server.gql(`query ($id: ID!) { order(id: $id) { id status totalAmount version updatedAt } }`, {
      id: orderId,
    });
    expect(pushed).toEqual(read.data!.order);
  });
});

describe('queries', () => {
  it('keeps a customer’s lifetime totals per currency, and no single total once there are several', async () => {
    const customerId = await register('Traveller');
    const TOTALS = `query ($c: ID!) { customer(id: $c) { lifetimeTotals { currency amount } lifetimeTotal } }`;
    const payFor = async (unitPrice: string, currency?: string) => {
      const placed = await server.gql(PLACE, {
        input: { customerId, currency, items: [{ productId: 'p', quantity: 2, unitPrice }] },
      });
      const id = placed.data!.placeOrder.aggregateId;
      const paid = await server.gql(`mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }`, { id });
      expect(paid.errors).toBeUndefined();
    };
    await payFor('1.50', 'USD');
    // Read-your-writes: the query waits until the customers table shows the payment above.
    expect((await server.gql(TOTALS, { c: customerId })).data!.customer).toEqual({
      lifetimeTotals: [{ currency: 'USD', amount: '3.00' }],
      lifetimeTotal: '3.00',
    });
    await payFor('10.00', 'EUR');
    await payFor('0.25', 'USD');
    expect((await server.gql(TOTALS, { c: customerId })).data!.customer).toEqual({
      lifetimeTotals: [
        { currency: 'EUR', amount: '20.00' },
        { currency: 'USD', amount: '3.50' },
      ],
      lifetimeTotal: null,
    });
  });

  it('lists orders newest first with cursors, filtered by customer and status', async () => {
    const customerId = await register('Lister');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await server.gql(PLACE, {
        input: { customerId, items: [{ productId: `p${i}`, quantity: 1, unitPrice: '1.00' }] },
      });
      ids.push(res.data!.placeOrder.aggregateId);
    }
    await server.gql(`mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }`, { id: ids[1] });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await server.gql(
        `query ($c: ID!, $after: String) { orders(filter: { customerId: $c }, first: 2, after: $after) {
           nodes { id } pageInfo { hasNextPage endCursor } } }`,
        { c: customerId, after },
      );
      seen.push(...res.data.orders.nodes.map((n: { id: string }) => n.id));
      if (!res.data.orders.pageInfo.hasNextPage) break;
      after = res.data.orders.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const paid = await server.gql(
      `query ($c: ID!) { orders(filter: { customerId: $c, status: PAID }) { nodes { id } } }`,
      { c: customerId },
    );
    expect(paid.data!.orders.nodes).toEqual([{ id: ids[1] }]);
    const customer = await server.gql(
      `query ($c: ID!) { customer(id: $c) { name orderCount lifetimeTotal orders(first: 10) { nodes { id } } } }`,
      { c: customerId },
    );
    expect(customer.data!.customer).toEqual({
      name: 'Lister',
      orderCount: 5,
      lifetimeTotal: '1.00',
      orders: { nodes: [...ids].reverse().map((id) => ({ id })) },
    });
  });

  it('answers null for an unknown order or customer', async () => {
    const res = await server.gql(`{ order(id: "nope") { id } customer(id: "nope") { id } }`);
    expect(res.data).toEqual({ order: null, customer: null });
  });

  it('loads a page of 100 orders with their customers in a bounded number of SQL statements', async () => {
    const customers = await Promise.all(Array.from({ length: 10 }, (_, i) => register(`Batch${i}`)));
    for (let i = 0; i < 100; i++) {
      await server.gql(PLACE, {
        input: { customerId: customers[i % 10], items: [{ productId: 'x', quantity: 1, unitPrice: '2.50' }] },
      });
    }
    readQueries = 0;
    const res = await server.gql(`{ orders(first: 100) { nodes { id customer { id name email orderCount } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.orders.nodes).toHaveLength(100);
    expect(new Set(res.data!.orders.nodes.map((n: any) => n.customer.id)).size).toBe(10);
    // One for the page of orders, one for all their customers, whatever the page size.
    expect(readQueries).toBeLessThanOrEqual(2);
  });
});

describe('consistency', () => {
  it('keeps every query table equal to a from-scratch rebuild after 2,000 commands from 32 concurrent clients', async () => {
    const sent = await runWorkload(server, 32, 2000);
    expect(sent).toBe(2000);
    await caughtUp(server);
    const live = await dumpReadModel(server.db.url);
    expect(live.orders!.length).toBeGreaterThan(300);
    await rebuild(server, 'orders');
    await rebuild(server, 'customers');
    await caughtUp(server);
    const rebuilt = await dumpReadModel(server.db.url);
    expect(rebuilt).toEqual(live);
  });
});

describe('order status counts', () => {
  let fresh: TestServer;
  beforeAll(async () => {
    fresh = await startTestServer();
  });
  afterAll(() => fresh.close());

  it('lists every status, zero included, and the table does not depend on where batches were cut', async () => {
    const reg = await fresh.gql(
      `mutation { registerCustomer(input: { name: "S", email: "s@example.com" }) { aggregateId } }`,
    );
    const customerId = reg.data!.registerCustomer.aggregateId;
    const placed = await fresh.gql(PLACE, {
      input: { customerId, items: [{ productId: 'x', quantity: 1, unitPrice: '1.00' }] },
    });
    const orderId = placed.data!.placeOrder.aggregateId;
    // Each mutation waits for the projectors: three batches, so PLACED and PAID each go up to 1 and back to 0.
    await fresh.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
    await fresh.gql(`mutation ($o: ID!) { shipOrder(input: { orderId: $o }) { version } }`, { o: orderId });
    const counts = await fresh.gql(`{ orderStatusCounts { status count } }`);
    expect(counts.data!.orderStatusCounts).toEqual([
      { status: 'PLACED', count: 0 },
      { status: 'PAID', count: 0 },
      { status: 'SHIPPED', count: 1 },
      { status: 'CANCELLED', count: 0 },
    ]);
    const live = await dumpReadModel(fresh.db.url);
    // A rebuild folds all three events in one batch, where PLACED and PAID are never touched.
    await rebuild(fresh, 'orders');
    expect(await dumpReadModel(fresh.db.url)).toEqual(live);
  });
});
