import { startTestServer, type TestServer } from '../support/server';

// The projectors of a process take the events near the head from its live log reader (the subscriptions'
// tailer) rather than each reading the log again (src/projections/worker.ts, fromRecentLog): one read of each new
// event per process, however many projectors it leads.

const projectorReads: string[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    {},
    {
      onQuery: (sql) => {
        // A projector's read of the log: the gap-safe read (readLogStatement, its horizon CTE) filtered by the
        // projector's event types. The tailer reads every type.
        if (sql.startsWith('WITH h AS (SELECT (pg_snapshot_xmin') && sql.includes('event_type = ANY(')) {
          projectorReads.push(sql);
        }
      },
    },
  );
});
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
  // Read-your-writes: both projectors (orders and the customer's order count) applied the event before this answer.
  expect(placed.data!.placeOrder.order).toEqual({ status: 'PLACED', totalAmount: '2.50' });
  const customerAfter = await server.gql(`query ($c: ID!) { customer(id: $c) { orderCount } }`, {
    c: customer.data!.registerCustomer.aggregateId,
  });
  expect(customerAfter.data!.customer).toEqual({ orderCount: 1 });
  expect(projectorReads).toEqual([]);
});
