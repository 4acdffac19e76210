import { eventually } from '../support/eventually';
import { startTestServer, wsRequest, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const REGISTER = `mutation ($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { aggregateId version customer { id name email active } }
}`;
const PLACE = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    aggregateId version position
    order { id status totalAmount items { productId quantity unitPrice lineTotal } }
    events {
      eventId eventType aggregateId aggregateType version position timestamp payload cursor
      metadata { correlationId causationId userId }
    }
  }
}`;

it('places an order for a registered customer: version 1 and an OrderPlaced event with its full envelope', async () => {
  const registered = await server.gql(REGISTER, { input: { name: 'Ada', email: 'ada@example.com' } });
  const customerId = registered.data!.registerCustomer.aggregateId;
  const placed = await server.gql(
    PLACE,
    { input: { customerId, items: [{ productId: 'book', quantity: 2, unitPrice: '29.99' }], correlationId: 'c-1' } },
    await server.as({ role: 'staff', sub: 'user-7' }),
  );
  expect(placed.errors).toBeUndefined();
  const result = placed.data!.placeOrder;
  expect(result.version).toBe(1);
  expect(result.order).toMatchObject({ status: 'PLACED', totalAmount: '59.98' });
  expect(result.events).toHaveLength(1);
  const [event] = result.events;
  expect(event).toMatchObject({
    eventType: 'OrderPlaced',
    aggregateId: result.aggregateId,
    aggregateType: 'Order',
    version: 1,
    position: result.position,
    payload: {
      customerId,
      totalAmount: '59.98',
      currency: 'EUR',
      items: [{ productId: 'book', quantity: 2, unitPrice: '29.99' }],
    },
    metadata: { correlationId: 'c-1', causationId: expect.any(String), userId: 'user-7' },
  });
  expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof event.position).toBe('string');
  expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
});

it('serves the same API over graphql-ws on the same URL', async () => {
  const client = server.ws(await server.as({ role: 'staff', sub: 'ws-user' }));
  const registered = await wsRequest(client, REGISTER, { input: { name: 'Grace', email: 'grace@example.com' } });
  expect(registered.errors).toBeUndefined();
  expect(registered.data!.registerCustomer.customer).toMatchObject({ name: 'Grace', active: true });
  const id = registered.data!.registerCustomer.aggregateId;
  await eventually(async () => {
    const history = await wsRequest(
      client,
      `{ events(filter: { aggregateId: "${id}" }) { nodes { eventType metadata { userId } } } }`,
    );
    expect(history.data!.events.nodes).toEqual([{ eventType: 'CustomerRegistered', metadata: { userId: 'ws-user' } }]);
  });
});

it('answers /healthz and /readyz', async () => {
  expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200);
  const ready = await fetch(`${server.app.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready' });
});

it('serves an IDE to browsers from its own assets, not a CDN', async () => {
  const res = await fetch(`${server.app.url}/graphql`, { headers: { accept: 'text/html' } });
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain('GraphiQL');
  const scripts = [...html.matchAll(/(?:src|href)="(\/ide\/[^"]+)"/g)].map((m) => m[1]!);
  expect(scripts.length).toBeGreaterThanOrEqual(5);
  for (const asset of scripts) expect((await fetch(`${server.app.url}${asset}`)).status).toBe(200);
});

it('keys events by `id` as client caches expect (the eventId), and refuses orderChanged on an unknown order', async () => {
  const registered = await server.gql(REGISTER, { input: { name: 'Cache', email: 'cache@example.com' } });
  const id = registered.data!.registerCustomer.aggregateId;
  const events = await server.gql(`{ events(filter: { aggregateId: "${id}" }) { nodes { id eventId } } }`);
  const [node] = events.data!.events.nodes;
  expect(node.id).toBe(node.eventId);

  const unknown = await wsRequest(server.ws(), 'subscription { orderChanged(orderId: "no-such-order") { id } }');
  expect(unknown.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
});
