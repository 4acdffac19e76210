import { randomUUID } from 'node:crypto';
import { dumpData } from '../support/dump';
import { caughtUp } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';

// What forgetting a customer leaves in the database (issue 24): a dump of every table's rows holds no name, email
// or reason of theirs, whether the service wrote them sealed or an earlier release wrote them in the clear.

let server: TestServer;
beforeAll(async () => {
  // A snapshot after every command, so that the snapshots table is searched too.
  server = await startTestServer({ SNAPSHOT_EVERY: '1' });
});
afterAll(() => server.close());

async function ok(query: string, variables: Record<string, unknown> = {}) {
  const res = await server.gql(query, variables);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

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

describe('a database written by the previous release (personal fields in the clear)', () => {
  const personal = { name: 'Walter Legacy', email: 'walter.legacy@example.com', reason: 'Walter found it cheaper' };
  const customerId = randomUUID();
  const orderId = randomUUID();

  beforeAll(async () => {
    // Rows as 0.1.0 wrote them: plain payloads, the owner recorded (migration 20261129030000_event_owner), and a
    // snapshot of the customer whose state holds the name.
    const client = await server.sql.connect();
    const metadata = { correlationId: 'legacy', causationId: 'legacy', userId: null };
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES ($1, 'Customer', 1), ($2, 'Order', 2)`,
        [customerId, orderId],
      );
      await client.query(
        `INSERT INTO events (position, event_id, aggregate_id, aggregate_type, version, event_type, schema_version,
           payload, metadata, owner_id)
         VALUES ((pg_current_xact_id()::text::bigint << 16) + 1, gen_random_uuid(), $1, 'Customer', 1,
                  'CustomerRegistered', 1, $3, $6, $1),
                ((pg_current_xact_id()::text::bigint << 16) + 2, gen_random_uuid(), $2, 'Order', 1, 'OrderPlaced', 2,
                  $4, $6, $1),
                ((pg_current_xact_id()::text::bigint << 16) + 3, gen_random_uuid(), $2, 'Order', 2, 'OrderCancelled', 1,
                  $5, $6, $1)`,
        [
          customerId,
          orderId,
          { name: personal.name, email: personal.email },
          {
            customerId,
            currency: 'EUR',
            items: [{ productId: 'legacy-pen', quantity: 2, unitPrice: '1.50' }],
            totalAmount: '3.00',
          },
          { reason: personal.reason },
          metadata,
        ],
      );
      await client.query(
        `INSERT INTO snapshots (aggregate_id, aggregate_type, version, snapshot_version, state)
         VALUES ($1, 'Customer', 1, 2, $2)`,
        [customerId, { id: customerId, name: personal.name, email: personal.email, active: true }],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await caughtUp(server);
  });

  const EVENTS = `query ($c: ID, $o: ID) {
    customer: events(filter: { aggregateId: $c }) { nodes { eventType payload personalDataErased } }
    order: events(filter: { aggregateId: $o }) { nodes { eventType payload personalDataErased } }
  }`;

  it('is served as before, and forgetting its customer erases its plain fields too', async () => {
    const before = await ok(EVENTS, { c: customerId, o: orderId });
    expect(before.customer.nodes).toEqual([
      {
        eventType: 'CustomerRegistered',
        payload: { name: personal.name, email: personal.email },
        personalDataErased: false,
      },
    ]);
    expect(before.order.nodes[1]).toEqual({
      eventType: 'OrderCancelled',
      payload: { reason: personal.reason },
      personalDataErased: false,
    });
    expect((await ok('query ($c: ID!) { customer(id: $c) { name } }', { c: customerId })).customer.name).toBe(
      personal.name,
    );

    await forget(customerId);
    await caughtUp(server);

    const after = await ok(EVENTS, { c: customerId, o: orderId });
    expect(after.customer.nodes).toEqual([
      { eventType: 'CustomerRegistered', payload: { name: null, email: null }, personalDataErased: true },
      { eventType: 'CustomerForgotten', payload: {}, personalDataErased: false },
    ]);
    // The order stays the business record it was: its items and total; only the reason is gone.
    expect(after.order.nodes).toEqual([
      {
        eventType: 'OrderPlaced',
        payload: expect.objectContaining({ customerId, totalAmount: '3.00' }),
        personalDataErased: false,
      },
      { eventType: 'OrderCancelled', payload: { reason: null }, personalDataErased: true },
    ]);
    const customer = await ok('query ($c: ID!) { customer(id: $c) { name email orderCount } }', { c: customerId });
    expect(customer.customer).toEqual({ name: null, email: null, orderCount: 1 });
    const dump = await dumpData(server.db.url);
    expect(found(dump.text, [customerId, 'legacy-pen'])).toEqual([customerId, 'legacy-pen']);
    expect(found(dump.text, Object.values(personal))).toEqual([]);
  });
});
