import { randomUUID } from 'node:crypto';
import { dumpData } from '../support/dump';
import { caughtUp } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';

// What forgetting a customer leaves in the database: a dump of every table's rows holds no name, email
// or reason of theirs. (Rows an earlier release wrote in the clear: upgrade-personal-data.test.ts.)

let server: TestServer;
beforeAll(async () => {
  // A snapshot after every command, so that the snapshots table is searched too.
  server = await startTestServer({ SNAPSHOT_EVERY: '1' });
});
afterAll(() => server.close());

const ok = (query: string, variables?: Record<string, unknown>) => server.ok(query, variables);

const forget = (customerId: string) =>
  ok('mutation ($c: ID!) { forgetCustomer(input: { customerId: $c }) { version } }', { c: customerId });

/** Where in the dump each of these strings occurs (none: an empty list), case-insensitively. */
function found(dump: string, needles: readonly string[]): string[] {
  const text = dump.toLowerCase();
  return needles.filter((needle) => text.includes(needle.toLowerCase()));
}

it('leaves no name, email or reason of a forgotten customer in any table', async () => {
  const personal = {
    name: 'Zelda Dumpsearch',
    email: 'zelda.dumpsearch@example.com',
    reason: 'Zelda wrote: wrong colour',
    deactivation: 'Zelda moved to Lisbon',
  };
  const marker = `pen-${randomUUID()}`;
  const registered = await ok('mutation ($i: RegisterCustomerInput!) { registerCustomer(input: $i) { aggregateId } }', {
    i: { name: personal.name, email: personal.email, commandId: randomUUID() },
  });
  const customerId = registered.registerCustomer.aggregateId as string;
  const placed = await ok('mutation ($i: PlaceOrderInput!) { placeOrder(input: $i) { aggregateId } }', {
    i: { customerId, items: [{ productId: marker, quantity: 1, unitPrice: '4.00' }], commandId: randomUUID() },
  });
  const orderId = placed.placeOrder.aggregateId as string;
  await ok(
    'mutation ($o: ID!, $r: String, $k: ID) { cancelOrder(input: { orderId: $o, reason: $r, commandId: $k }) { version } }',
    {
      o: orderId,
      r: personal.reason,
      k: randomUUID(),
    },
  );
  await ok('mutation ($c: ID!, $r: String) { deactivateCustomer(input: { customerId: $c, reason: $r }) { version } }', {
    c: customerId,
    r: personal.deactivation,
  });
  await forget(customerId);
  await caughtUp(server);

  const dump = await dumpData(server.db.url);
  // The dump does hold the rows: the customer's id, the order's product, the snapshots of both.
  expect(found(dump.text, [customerId, orderId, marker])).toEqual([customerId, orderId, marker]);
  // Forgetting deleted the snapshots sealed under the customer's key; the one its own command took holds nothing.
  const snapshots = await server.sql.query('SELECT aggregate_id, state FROM snapshots WHERE aggregate_id = ANY($1)', [
    [customerId, orderId],
  ]);
  expect(snapshots.rows).toEqual([{ aggregate_id: customerId, state: { $erased: true } }]);
  expect(found(dump.text, Object.values(personal))).toEqual([]);
});

it('seals personal fields from the first write: the name is in no table even before forgetting', async () => {
  const name = 'Yorick Neverplain';
  const registered = await ok(
    'mutation ($i: RegisterCustomerInput!) { registerCustomer(input: $i) { aggregateId customer { name } } }',
    { i: { name, email: 'yorick.neverplain@example.com' } },
  );
  expect(registered.registerCustomer.customer.name).toBe(name);
  await caughtUp(server);
  // The query table keeps it (the API serves it from there) until the customer is forgotten; no other table does.
  const dump = await dumpData(server.db.url);
  const rows = dump.text.split('\n').filter((line) => line.toLowerCase().includes('neverplain'));
  expect(rows).toEqual([expect.stringContaining(registered.registerCustomer.aggregateId)]);
  const inCustomers = await server.sql.query('SELECT 1 FROM customers WHERE name = $1', [name]);
  expect(inCustomers.rowCount).toBe(1);
});
