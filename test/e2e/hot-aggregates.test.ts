import { startTestServer, type TestServer } from '../support/server';

// Commands on one aggregate sent at once to one instance queue in its lane (src/commands/lanes.ts) rather than
// race: with retries off, any race would surface as CONCURRENCY_CONFLICT, which a command without expectedVersion
// must never answer for a race it lost (docs/api.md, "Commands").

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ COMMAND_RETRIES: '0' });
});
afterAll(() => server.close());

it('applies every one of 40 concurrent addItem and a payOrder on one order, none refused for a lost race', async () => {
  const customer = await server.gql(
    `mutation { registerCustomer(input: { name: "Hot", email: "hot@example.com" }) { aggregateId } }`,
  );
  const placed = await server.gql(
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }`,
    { c: customer.data!.registerCustomer.aggregateId },
  );
  const orderId = placed.data!.placeOrder.aggregateId as string;
  const adds = Array.from({ length: 40 }, (_, n) =>
    server.gql(
      `mutation ($o: ID!, $p: ID!) { addItem(input: { orderId: $o, item: { productId: $p, quantity: 1, unitPrice: "1.00" } }) { version } }`,
      { o: orderId, p: `p${n}` },
    ),
  );
  const results = await Promise.all(adds);
  expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
  expect(results.map((r) => r.data!.addItem.version).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 40 }, (_, n) => n + 2),
  );
  const paid = await server.gql(
    `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version order { status totalAmount } } }`,
    {
      o: orderId,
    },
  );
  expect(paid.data!.payOrder).toEqual({ version: 42, order: { status: 'PAID', totalAmount: '41.00' } });
});
