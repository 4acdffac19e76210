import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { collect, type Collected } from '../support/subscriptions';
import { startTestServer, wsRequest, type TestServer } from '../support/server';

const MAX_PAYLOAD = 2048;
const MAX_SUBSCRIPTIONS = 2;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
    WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS),
  });
});
afterAll(() => server.close());

const wsUrl = (s: TestServer, path = '/graphql') => `${s.app.url.replace(/^http/, 'ws')}${path}`;

type Outcome = { opened: true } | { status: number; body: unknown };

/** Opens a raw WebSocket and resolves with how the handshake ended: open, or the HTTP answer that refused it. */
function handshake(url: string, options: WebSocket.ClientOptions = {}): Promise<Outcome> {
  const socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true });
    });
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    socket.once('error', (error) => reject(error));
  });
}

/** The first thing the server does with a socket after `send`: a message, or closing it. */
async function answerTo(socket: WebSocket, send: unknown): Promise<{ message: unknown } | { closed: number }> {
  const message = once(socket, 'message').then(([data]) => ({ message: JSON.parse(String(data)) as unknown }));
  const closed = once(socket, 'close').then(([code]) => ({ closed: code as number }));
  socket.send(JSON.stringify(send));
  return Promise.race([message, closed]);
}

async function openSocket(): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(server), GRAPHQL_TRANSPORT_WS_PROTOCOL);
  await once(socket, 'open');
  return socket;
}

const CUSTOMER_EVENTS = `subscription { events(filter: { aggregateType: Customer }, after: "0") { aggregateId } }`;

async function registerCustomer(name: string): Promise<string> {
  const registered = await server.gql(
    `mutation ($name: String!) { registerCustomer(input: { name: $name, email: "ws@example.com" }) { aggregateId } }`,
    { name },
  );
  return registered.data!.registerCustomer.aggregateId;
}

async function receives(subscription: Collected<string>, aggregateId: string): Promise<void> {
  while (!subscription.items.includes(aggregateId)) await subscription.until(subscription.items.length + 1);
}

/** Resolves with the errors the server sends for one operation (it must not succeed). */
function refusal(client: Client, query: string): Promise<{ message: string; extensions?: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query },
      {
        next: (value) => reject(new Error(`unexpected result ${JSON.stringify(value)}`)),
        error: (errors) => (Array.isArray(errors) ? resolve(errors) : reject(errors)),
        complete: () => reject(new Error('completed without an error')),
      },
    );
  });
}

function closesOf(client: Client): number[] {
  const codes: number[] = [];
  client.on('closed', (event) => codes.push((event as { code: number }).code));
  return codes;
}

describe('frame size', () => {
  it('closes a socket whose connection_init is over WS_MAX_PAYLOAD_BYTES with 1009, and goes on serving', async () => {
    const socket = await openSocket();
    expect(await answerTo(socket, { type: 'connection_init', payload: { pad: 'x'.repeat(MAX_PAYLOAD) } })).toEqual({
      closed: 1009,
    });
    expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200);
    expect(await wsRequest(server.ws(), '{ __typename }')).toEqual({ data: { __typename: 'Query' } });
  });

  it('closes a socket that sends any later frame over WS_MAX_PAYLOAD_BYTES with 1009', async () => {
    const socket = await openSocket();
    const payload = await server.as({ role: 'admin' });
    expect(await answerTo(socket, { type: 'connection_init', payload })).toEqual({
      message: { type: 'connection_ack' },
    });
    const oversized = { id: '1', type: 'subscribe', payload: { query: `{ __typename } # ${'x'.repeat(MAX_PAYLOAD)}` } };
    expect(await answerTo(socket, oversized)).toEqual({ closed: 1009 });
  });
});

describe('subscriptions per socket', () => {
  it('refuses the one over WS_MAX_SUBSCRIPTIONS with QUERY_TOO_COMPLEX for its own id; the others keep receiving', async () => {
    const client = server.ws();
    const closes = closesOf(client);
    const open = Array.from({ length: MAX_SUBSCRIPTIONS }, () =>
      collect(client, CUSTOMER_EVENTS, {}, (d) => d.events.aggregateId as string),
    );
    const first = await registerCustomer('Before the limit');
    for (const subscription of open) await receives(subscription, first);

    const errors = await refusal(client, CUSTOMER_EVENTS);
    expect(errors).toEqual([
      {
        message: expect.stringContaining('WS_MAX_SUBSCRIPTIONS'),
        extensions: {
          code: 'QUERY_TOO_COMPLEX',
          limit: 'subscriptions',
          max: MAX_SUBSCRIPTIONS,
          actual: MAX_SUBSCRIPTIONS + 1,
        },
      },
    ]);

    const second = await registerCustomer('After the limit');
    for (const subscription of open) await receives(subscription, second);
    expect(open.map((s) => [s.completed, s.errors])).toEqual(open.map(() => [false, []]));
    expect(closes).toEqual([]);

    // A completed subscription frees its place.
    open[0]!.stop();
    const third = collect(client, CUSTOMER_EVENTS, {}, (d) => d.events.aggregateId as string);
    await receives(third, second);
    expect(third.errors).toEqual([]);
  });
});

describe('bad documents', () => {
  it('fail only their own subscription id: the socket stays open and its other subscription keeps receiving', async () => {
    const client = server.ws();
    const closes = closesOf(client);
    const live = collect(client, CUSTOMER_EVENTS, {}, (d) => d.events.aggregateId as string);
    await receives(live, await registerCustomer('Before the bad documents'));

    const syntax = await refusal(client, 'subscription { events { position }');
    expect(syntax).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^Syntax Error/),
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      }),
    ]);
    const invalid = await refusal(client, 'subscription { events { noSuchField } }');
    expect(invalid).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('noSuchField'),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);

    await receives(live, await registerCustomer('After the bad documents'));
    expect([live.completed, live.errors, closes]).toEqual([false, [], []]);
  });
});

describe('origins on upgrade', () => {
  it('refuses a WebSocket from a disallowed browser Origin with 403 and a JSON FORBIDDEN error', async () => {
    expect(await handshake(wsUrl(server), { origin: 'https://evil.example' })).toEqual({
      status: 403,
      body: { errors: [{ message: expect.stringContaining('CORS_ORIGINS'), extensions: { code: 'FORBIDDEN' } }] },
    });
  });

  it('admits loopback origins, Apollo Sandbox and clients without an Origin (not browsers) by default', async () => {
    for (const origin of [
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'https://studio.apollographql.com',
      undefined,
    ]) {
      expect([origin, await handshake(wsUrl(server), origin === undefined ? {} : { origin })]).toEqual([
        origin,
        { opened: true },
      ]);
    }
  });

  it('answers an upgrade at any other path with 404 and a JSON NOT_FOUND error', async () => {
    expect(await handshake(wsUrl(server, '/elsewhere'))).toEqual({
      status: 404,
      body: { errors: [{ message: expect.any(String), extensions: { code: 'NOT_FOUND' } }] },
    });
  });

  describe('with CORS_ORIGINS set', () => {
    let configured: TestServer;
    beforeAll(async () => {
      configured = await startTestServer({ CORS_ORIGINS: 'https://shop.example.com' });
    });
    afterAll(() => configured.close());

    it('admits the listed origins and pages of its own origin, and refuses the loopback ones', async () => {
      const own = configured.app.url;
      expect(await handshake(wsUrl(configured), { origin: 'https://shop.example.com' })).toEqual({ opened: true });
      expect(await handshake(wsUrl(configured), { origin: own })).toEqual({ opened: true });
      expect(await handshake(wsUrl(configured), { origin: 'http://localhost:5173' })).toMatchObject({ status: 403 });
    });
  });
});
