import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createDatabaseBefore, type TestDatabase } from '../support/database';
import { dumpData } from '../support/dump';
import { caughtUp } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';

// A database written by the previous release (0.1.0: personal fields in the clear, in events and snapshots), then
// upgraded: the migrations of this release applied by the server's start. Its events are served as before, and
// forgetting their customer erases their personal fields too (src/eventstore/erasure.ts says why in place).

const DATA_KEYS = '20261207100000_data_keys';
const personal = { name: 'Walter Legacy', email: 'walter.legacy@example.com', reason: 'Walter found it cheaper' };
const customerId = randomUUID();
const orderId = randomUUID();
let db: TestDatabase;
let server: TestServer;

/** Rows as 0.1.0 wrote them: plain payloads, their owner recorded, and snapshots whose states hold the name. */
async function writeAsPreviousRelease(): Promise<void> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
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
       VALUES ($1, 'Customer', 1, 2, $3), ($2, 'Order', 2, 1, $4)`,
      [
        customerId,
        orderId,
        { id: customerId, name: personal.name, email: personal.email, active: true },
        { id: orderId, customerId, status: 'CANCELLED', cancellationReason: personal.reason },
      ],
    );
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await createDatabaseBefore(DATA_KEYS);
  await writeAsPreviousRelease();
  // The upgraded service: its start applies this release's migrations.
  server = await startTestServer({}, { db });
  await caughtUp(server);
});
afterAll(() => server?.close());

const ok = (query: string, variables?: Record<string, unknown>) => server.ok(query, variables);

/** Which of these strings the dump holds, case-insensitively. */
function found(dump: string, needles: readonly string[]): string[] {
  const text = dump.toLowerCase();
  return needles.filter((needle) => text.includes(needle.toLowerCase()));
}

const EVENTS = `query ($c: ID, $o: ID) {
  customer: events(filter: { aggregateId: $c }) { nodes { eventType payload personalDataErased } }
  order: events(filter: { aggregateId: $o }) { nodes { eventType payload personalDataErased } }
}`;

it('drops the snapshots written in the clear on upgrade', async () => {
  const { rows } = await server.sql.query('SELECT aggregate_id FROM snapshots WHERE aggregate_id = ANY($1)', [
    [customerId, orderId],
  ]);
  expect(rows).toEqual([]);
});

it('serves the old events as before, and forgetting their customer erases their plain fields too', async () => {
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
  const customer = 'query ($c: ID!) { customer(id: $c) { name email orderCount } }';
  expect((await ok(customer, { c: customerId })).customer).toEqual({
    name: personal.name,
    email: personal.email,
    orderCount: 1,
  });

  await ok('mutation ($c: ID!) { forgetCustomer(input: { customerId: $c }) { version } }', { c: customerId });
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
  expect((await ok(customer, { c: customerId })).customer).toEqual({ name: null, email: null, orderCount: 1 });
  const dump = await dumpData(server.db.url);
  expect(found(dump.text, [customerId, 'legacy-pen'])).toEqual([customerId, 'legacy-pen']);
  expect(found(dump.text, Object.values(personal))).toEqual([]);
});
