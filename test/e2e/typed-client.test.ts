import { randomUUID } from 'node:crypto';
import { httpClient, subscribe, wsClient } from '../../examples/typed-client/client';
import { runExample } from '../../examples/typed-client/example';
import { OrderChanged, PayOrder, PlaceOrder, RegisterCustomer } from '../../examples/typed-client/operations';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';

// The typed client example (examples/typed-client) against the real server: its typed results, and the
// reconnection its graphql-ws client is configured for.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const endpoint = () => `${server.app.url}/graphql`;

it('runs the example: registers, places two orders, sees the paid one go PLACED → PAID live, pages through both', async () => {
  const lines: string[] = [];
  const result = await runExample({
    url: endpoint(),
    token: await server.token({ role: 'admin' }),
    log: (line) => lines.push(line),
  });

  expect(result.customer).toMatchObject({ name: 'Ada Lovelace', email: expect.stringMatching(/@example\.com$/) });
  expect(result.paid).toMatchObject({ status: 'PAID', version: 2, total: { amount: '59.98', currencyCode: 'EUR' } });
  expect(result.updates).toEqual([
    { id: result.paid.id, status: 'PLACED', version: 1, total: { amount: '59.98', currencyCode: 'EUR' }, paidAt: null },
    {
      id: result.paid.id,
      status: 'PAID',
      version: 2,
      total: { amount: '59.98', currencyCode: 'EUR' },
      paidAt: result.paid.paidAt,
    },
  ]);
  // Newest first, one order per page.
  expect(result.pages).toEqual([
    [{ id: result.placed.id, status: 'PLACED', total: { amount: '0.30', currencyCode: 'EUR' }, itemCount: 3 }],
    [{ id: result.paid.id, status: 'PAID', total: { amount: '59.98', currencyCode: 'EUR' }, itemCount: 2 }],
  ]);
  expect(lines).toContain('orderChanged: PAID (version 2)');
  expect(result.history).toEqual(['1 placed: 2 × book-42, 59.98 EUR', '2 paid 59.98 EUR']);
});

it('reconnects while the server is down and after it restarts, subscribes again, and gets the change made meanwhile', async () => {
  const token = await server.token({ role: 'admin' });
  const request = httpClient(endpoint(), token);
  const { registerCustomer } = await request(RegisterCustomer, {
    input: { name: 'Grace Hopper', email: 'grace@example.com' },
  });
  const customerId = registerCustomer!.customer!.id;
  const { placeOrder } = await request(PlaceOrder, {
    input: { customerId, items: [{ productId: 'cobol', quantity: 1, unitPrice: '12.00' }] },
  });
  const orderId = placeOrder!.order!.id;

  let connections = 0;
  let refused = 0;
  const ws = wsClient(endpoint(), token, { on: { connected: () => connections++, error: () => refused++ } });
  const updates = subscribe(ws, OrderChanged, { orderId });
  try {
    expect((await updates.next()).value).toMatchObject({ orderChanged: { status: 'PLACED', version: 1 } });

    // The same port and database: stopping closes the socket with 1001, as a deploy does.
    const { port } = new URL(server.app.url);
    const stopped = server;
    await stopped.app.stop();
    await stopped.sql.end();
    // A retry that finds the port closed fails with an error event, not a close event: the client goes on.
    await eventually(async () => expect(refused).toBeGreaterThan(0));
    server = await startTestServer({ PORT: port }, { db: stopped.db });
    const { payOrder } = await request(PayOrder, { input: { orderId } });
    expect(payOrder!.order!.status).toBe('PAID');

    expect((await updates.next()).value).toMatchObject({ orderChanged: { id: orderId, status: 'PAID', version: 2 } });
    expect(connections).toBe(2);
  } finally {
    await updates.return(undefined);
    await ws.dispose();
  }
});

it('gives up at once on a token the server refuses (4403), since every retry would be refused too', async () => {
  let attempts = 0;
  const ws = wsClient(endpoint(), 'not-a-token', { on: { connecting: () => attempts++ } });
  try {
    await expect(subscribe(ws, OrderChanged, { orderId: randomUUID() }).next()).rejects.toMatchObject({ code: 4403 });
    expect(attempts).toBe(1);
  } finally {
    await ws.dispose();
  }
});
