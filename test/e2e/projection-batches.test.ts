import { randomUUID } from 'node:crypto';
import { caughtUp, dumpReadModel, rebuild } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';

// A projector batch is bounded in bytes as well as in events: a page of thousands of maximum-size orders would
// otherwise be written as one JSON document past memory and V8's longest string. Pages cut short must still
// resume exactly where they stopped, live and in a rebuild.

let server: TestServer;
const batches: string[] = [];
beforeAll(async () => {
  server = await startTestServer(
    { PROJECTION_BATCH_BYTES: '4096' },
    { projection: { beforeCommit: async (projector) => void batches.push(projector) } },
  );
});
afterAll(() => server.close());

const item = (productId: string) => ({ productId, quantity: 1, unitPrice: '1.00' });

it('splits a page of large events into batches within PROJECTION_BATCH_BYTES, losing none, live and in a rebuild', async () => {
  const customer = await server.gql(
    `mutation { registerCustomer(input: { name: "Batches", email: "batches@example.com" }) { aggregateId } }`,
  );
  const customerId = customer.data!.registerCustomer.aggregateId;
  await caughtUp(server);
  // Ten events of about 1.2 KB each in one transaction: one page of the log for the projector.
  const orderId = randomUUID();
  const large = (i: number) => item(`${'x'.repeat(1000)}-${i}`);
  batches.length = 0;
  await server.app.services.store.append({
    aggregateId: orderId,
    aggregateType: 'Order',
    expectedVersion: 'no-stream',
    events: [
      { eventType: 'OrderPlaced', payload: { customerId, items: [large(0)], totalAmount: '1.00', currency: 'EUR' } },
      ...Array.from({ length: 9 }, (_, i) => ({ eventType: 'ItemAdded', payload: { item: large(i + 1) } })),
    ],
    metadata: { correlationId: orderId, causationId: orderId, userId: null },
  });
  await caughtUp(server);
  expect(batches.filter((p) => p === 'orders').length).toBeGreaterThanOrEqual(3);

  const read = await server.gql(`query ($id: ID!) { order(id: $id) { version itemCount totalAmount } }`, {
    id: orderId,
  });
  expect(read.data!.order).toEqual({ version: 10, itemCount: 10, totalAmount: '10.00' });

  const live = await dumpReadModel(server.db.url);
  await rebuild(server, 'orders');
  await rebuild(server, 'customers');
  expect(await dumpReadModel(server.db.url)).toEqual(live);
});
