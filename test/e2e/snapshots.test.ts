import { orderAggregate } from '../../src/orders/commands';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ SNAPSHOT_EVERY: '2' });
});
afterAll(() => server.close());

const REGISTER = `mutation ($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { aggregateId version }
}`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId version } }`;
const ADD = `mutation ($input: AddItemInput!) { addItem(input: $input) { version } }`;
const PAY = `mutation ($input: PayOrderInput!) { payOrder(input: $input) { version } }`;
const SHIP = `mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { version } }`;

async function ok(query: string, input: Record<string, unknown>) {
  const res = await server.gql(query, { input });
  expect(res.errors).toBeUndefined();
  return Object.values(res.data!)[0] as { aggregateId: string; version: number };
}

async function snapshotOf(aggregateId: string) {
  type Row = { aggregate_type: string; version: number; snapshot_version: number };
  const { rows } = await server.sql.query<Row>(
    'SELECT aggregate_type, version, snapshot_version FROM snapshots WHERE aggregate_id = $1',
    [aggregateId],
  );
  return rows[0];
}

it('snapshots aggregates every SNAPSHOT_EVERY events as the server runs commands', async () => {
  const customerId = (await ok(REGISTER, { name: 'Ada', email: 'ada@example.com' })).aggregateId;
  const items = [{ productId: 'a', quantity: 1, unitPrice: '1.00' }];
  const orderId = (await ok(PLACE, { customerId, items })).aggregateId;
  expect(await snapshotOf(orderId)).toBeUndefined();
  expect((await ok(ADD, { orderId, item: { productId: 'b', quantity: 1, unitPrice: '2.00' } })).version).toBe(2);
  expect(await snapshotOf(orderId)).toEqual({
    aggregate_type: 'Order',
    version: 2,
    snapshot_version: orderAggregate.snapshotVersion,
  });
  expect((await ok(PAY, { orderId })).version).toBe(3);
  expect(await snapshotOf(orderId)).toMatchObject({ version: 2 });
  expect((await ok(SHIP, { orderId })).version).toBe(4);
  expect(await snapshotOf(orderId)).toMatchObject({ version: 4 });
  expect(await snapshotOf(customerId)).toBeUndefined();
});
