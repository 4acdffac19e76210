import { heldProjector } from '../support/held-projector';
import { startTestServer, type TestServer } from '../support/server';

// The projectors of a process take the events near the head from its live log reader (the subscriptions'
// tailer) rather than each reading the log again (src/projections/worker.ts, fromRecentLog): one read of each new
// event per process, however many projectors it leads. And the tailer reads the log when it is told something was
// appended, not again after every projector's commit, unless its last read found events held above the horizon.

const projectorReads: string[] = [];
const orders = heldProjector('orders');
const { hold, letGo } = orders;
let tailerReads = 0;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    // No polling within the test's time: every read below is one a wake-up asked for, and a wake-up that went
    // missing would leave a read waiting (READ_MODEL_STALE) rather than be covered by the next poll.
    { PROJECTION_POLL_MS: '60000', READ_MODEL_WAIT_MS: '20000' },
    {
      projection: { beforeCommit: orders.beforeCommit },
      onQuery: (sql) => {
        // A read of the log: the gap-safe read (readLogStatement, its horizon CTE); a projector's is filtered by
        // its event types, the tailer's reads every type.
        if (!sql.startsWith('WITH h AS (SELECT (pg_snapshot_xmin')) return;
        if (sql.includes('event_type = ANY(')) projectorReads.push(sql);
        else tailerReads++;
      },
    },
  );
});
afterEach(letGo);
afterAll(() => server.close());

it("applies new events from the tailer's memory: neither projector reads the log for them", async () => {
  const customer = await server.gql(
    `mutation { registerCustomer(input: { name: "Once", email: "once@example.com" }) { aggregateId customer { name } } }`,
  );
  expect(customer.data!.registerCustomer.customer).toEqual({ name: 'Once' });
  projectorReads.length = 0;
  const placed = await server.gql(
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "2.50" }] }) { order { status totalAmount } } }`,
    { c: customer.data!.registerCustomer.aggregateId },
  );
  expect(placed.data!.placeOrder.order).toEqual({ status: 'PLACED', totalAmount: '2.50' });
  // Read-your-writes: the query waits for both projectors (orders, and the customer's order count).
  const customerAfter = await server.gql(`query ($c: ID!) { customer(id: $c) { orderCount } }`, {
    c: customer.data!.registerCustomer.aggregateId,
  });
  expect(customerAfter.data!.customer).toEqual({ orderCount: 1 });
  expect(projectorReads).toEqual([]);
});

it('reads the log about once per append, not again for each projector commit', async () => {
  const registered = await server.gql(
    `mutation { registerCustomer(input: { name: "Reads", email: "reads@example.com" }) { aggregateId } }`,
  );
  const customerId = registered.data!.registerCustomer.aggregateId;
  const appends = 10;
  tailerReads = 0;
  for (let i = 0; i < appends; i++) {
    const placed = await server.gql(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }`,
      { c: customerId },
    );
    const read = await server.gql(`query ($id: ID!) { order(id: $id) { version } }`, {
      id: placed.data!.placeOrder.aggregateId,
    });
    expect(read.extensions).toBeUndefined();
    expect(read.data!.order).toEqual({ version: 1 });
  }
  // One read when the append is announced, at most one more when its NOTIFY's own transaction ends (while it was
  // open it may have held the event above the horizon); the two projectors' commits add none by themselves.
  expect(tailerReads).toBeLessThanOrEqual(2 * appends);
});

it('reads an event held above the horizon once the transaction holding it commits, without polling', async () => {
  const registered = await server.gql(
    `mutation { registerCustomer(input: { name: "Held", email: "held@example.com" }) { aggregateId } }`,
  );
  const customerId = registered.data!.registerCustomer.aggregateId;
  const place = () =>
    server.gql(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "h", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }`,
      { c: customerId },
    );
  // The orders projector's batch for the first order is held open after its writes: it has a transaction id, and
  // the second order, appended meanwhile, is committed but above the readers' horizon until that batch commits.
  const inBatch = hold();
  await place();
  await inBatch;
  const second = await place();
  letGo();
  // Nothing but the held batch's commit announces the second order to the tailer (no poll within the test).
  const read = await server.gql(`query ($id: ID!) { order(id: $id) { version } }`, {
    id: second.data!.placeOrder.aggregateId,
  });
  expect(read.extensions).toBeUndefined();
  expect(read.data!.order).toEqual({ version: 1 });
});
