import { randomUUID } from 'node:crypto';
import { caughtUp, rebuild } from '../support/read-model';
import { appendRaw } from '../support/raw-events';
import { startTestServer, type TestServer } from '../support/server';
import { collect } from '../support/subscriptions';

// Events evolve without being rewritten: OrderPlaced gained the order's currency in schema version 2. An order
// written in the version 1 shape by an older service (raw SQL here, as it would sit in a real log) is read up to
// version 2 everywhere events are read: the aggregate, the projector (live and rebuilt), the API's history and
// log, and subscriptions. The stored rows stay as they were.

let server: TestServer;
let customerId: string;
const orderId = randomUUID();

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.gql(
    `mutation { registerCustomer(input: { name: "Legacy", email: "legacy@example.com" }) { aggregateId } }`,
  );
  customerId = res.data!.registerCustomer.aggregateId;
  await appendRaw(server.sql, [
    {
      aggregateId: orderId,
      version: 1,
      type: 'OrderPlaced',
      payload: { customerId, items: [{ productId: 'book', quantity: 2, unitPrice: '29.99' }], totalAmount: '59.98' },
    },
    {
      aggregateId: orderId,
      version: 2,
      type: 'ItemAdded',
      payload: { item: { productId: 'pen', quantity: 1, unitPrice: '0.50' } },
    },
  ]);
  await caughtUp(server);
});
afterAll(() => server.close());

const storedRows = async () =>
  (
    await server.sql.query(
      `SELECT event_type, schema_version, payload FROM events WHERE aggregate_id = $1 ORDER BY version`,
      [orderId],
    )
  ).rows;

it('serves a version 1 OrderPlaced upcast, with the current schemaVersion, in orderHistory and the log', async () => {
  const history = await server.gql(
    `query ($o: ID!) { orderHistory(orderId: $o) { eventType schemaVersion payload } }`,
    {
      o: orderId,
    },
  );
  expect(history.data!.orderHistory[0]).toEqual({
    eventType: 'OrderPlaced',
    schemaVersion: 2,
    payload: expect.objectContaining({ currency: 'EUR', totalAmount: '59.98' }),
  });
  const log = await server.gql(
    `query ($o: ID) { events(filter: { aggregateId: $o, eventTypes: [OrderPlaced] }) { nodes { schemaVersion payload } } }`,
    { o: orderId },
  );
  expect(log.data!.events.nodes).toEqual([{ schemaVersion: 2, payload: expect.objectContaining({ currency: 'EUR' }) }]);
});

it('projects it with its currency, and a rebuild gives the same row', async () => {
  const query = `query ($o: ID!) { order(id: $o) { currency totalAmount itemCount version } }`;
  const live = await server.gql(query, { o: orderId });
  expect(live.data!.order).toEqual({ currency: 'EUR', totalAmount: '60.48', itemCount: 3, version: 2 });
  await rebuild(server, 'orders');
  expect((await server.gql(query, { o: orderId })).data).toEqual(live.data);
});

it('folds it in the aggregate: a command on the old order works and answers with its currency', async () => {
  const res = await server.gql(
    `mutation ($o: ID!) { addItem(input: { orderId: $o, item: { productId: "ink", quantity: 1, unitPrice: "1.00" } }) { version order { currency totalAmount } } }`,
    { o: orderId },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.addItem).toEqual({ version: 3, order: { currency: 'EUR', totalAmount: '61.48' } });
});

it('replays it upcast to an events subscription that starts from the beginning', async () => {
  const client = server.ws();
  const sub = collect(
    client,
    `subscription ($o: ID) { events(after: "0", filter: { aggregateId: $o }) { eventType schemaVersion payload } }`,
    { o: orderId },
    (d) => d.events,
  );
  const [placed] = await sub.until(1);
  sub.stop();
  expect(placed).toEqual({
    eventType: 'OrderPlaced',
    schemaVersion: 2,
    payload: expect.objectContaining({ currency: 'EUR' }),
  });
});

it('never rewrites the stored version 1 events', async () => {
  const rows = await storedRows();
  expect(rows.slice(0, 2)).toEqual([
    expect.objectContaining({
      event_type: 'OrderPlaced',
      schema_version: 1,
      payload: expect.not.objectContaining({ currency: 'EUR' }),
    }),
    expect.objectContaining({ event_type: 'ItemAdded', schema_version: 1 }),
  ]);
});

it('writes new orders in version 2, in the currency asked for (or DEFAULT_CURRENCY), and refuses an unknown one', async () => {
  const PLACE = `mutation ($c: ID!, $cur: CurrencyCode) {
    placeOrder(input: { customerId: $c, currency: $cur, items: [{ productId: "a", quantity: 1, unitPrice: "2.00" }] }) {
      order { currency } events { schemaVersion payload }
    }
  }`;
  const usd = await server.gql(PLACE, { c: customerId, cur: 'USD' });
  expect(usd.data!.placeOrder.order).toEqual({ currency: 'USD' });
  expect(usd.data!.placeOrder.events).toEqual([
    { schemaVersion: 2, payload: expect.objectContaining({ currency: 'USD' }) },
  ]);
  const byDefault = await server.gql(PLACE, { c: customerId });
  expect(byDefault.data!.placeOrder.order).toEqual({ currency: 'EUR' });
  // No CurrencyCode: refused by GraphQL before any command runs.
  const unknown = await server.gql(PLACE, { c: customerId, cur: 'XYZ' });
  expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  expect(unknown.errors![0]!.message).toMatch(/"XYZ".*CurrencyCode/);
});
