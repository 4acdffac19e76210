import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '../support/eventually';
import { startJwksOrderstream, type JwksOrderstream } from '../support/jwks-orderstream';
import { signingKey, signWith, type SigningKey } from '../support/jwks-server';
import { startTestServer, type TestServer } from '../support/server';

// What one caller can hold of the server: read inputs, sockets, subscriptions across sockets, bytes, and HTTP
// connections. Each limit is tried from outside, as an attacker with a customer token (or none) would, and each
// refusal must carry its documented code while the server goes on serving others.

const METRICS = 'edge-caps-metrics-token';
const wsUrl = (s: TestServer) => `${s.app.url.replace(/^http/, 'ws')}/graphql`;

type Handshake = { socket: WebSocket } | { status: number; body: any };

/** A raw WebSocket: open (and not yet initialised), or the HTTP answer that refused the upgrade. */
function handshake(url: string): Promise<Handshake> {
  const socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL);
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    socket.once('error', reject);
  });
}

async function openSocket(url: string): Promise<WebSocket> {
  const answer = await handshake(url);
  if (!('socket' in answer)) throw new Error(`refused: ${JSON.stringify(answer)}`);
  return answer.socket;
}

/** What the server does first after `connection_init` with `payload`: acknowledge, or close (with its code). */
async function init(socket: WebSocket, payload?: unknown): Promise<{ ack: true } | { closed: number; reason: string }> {
  const message = once(socket, 'message').then(([data]) => {
    expect(JSON.parse(String(data))).toEqual({ type: 'connection_ack' });
    return { ack: true as const };
  });
  const closed = once(socket, 'close').then(([code, reason]) => ({ closed: code as number, reason: String(reason) }));
  socket.send(
    JSON.stringify(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload }),
  );
  return Promise.race([message, closed]);
}

type GraphQLErrorJson = { message: string; extensions?: Record<string, unknown> };

/** Resolves with the errors the server sends for one operation, or with the first result if there is one. */
function firstAnswer(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ errors: GraphQLErrorJson[] } | { data: unknown }> {
  return new Promise((resolve, reject) => {
    const stop = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          stop();
          resolve(value.errors ? { errors: value.errors as GraphQLErrorJson[] } : { data: value.data });
        },
        error: (errors) => (Array.isArray(errors) ? resolve({ errors }) : reject(errors)),
        complete: () => undefined,
      },
    );
  });
}

/**
 * An `events` subscription that stays open (nothing matches it) and is acknowledged: the order of graphql-ws
 * messages on one socket makes the `__typename` query after it answer only once the subscription has been taken.
 */
function idleSubscription(client: Client, filter: Record<string, unknown>) {
  const errors: GraphQLErrorJson[][] = [];
  const stop = client.subscribe(
    { query: 'subscription ($filter: EventFilter) { events(filter: $filter) { eventId } }', variables: { filter } },
    { next: () => undefined, error: (e) => errors.push(e as GraphQLErrorJson[]), complete: () => undefined },
  );
  return { errors, stop };
}

/** A subscription left open: its first answer, and any errors after. */
function openSubscription(client: Client, query: string) {
  const errors: unknown[] = [];
  let answered: (answer: unknown) => void;
  const first = new Promise<unknown>((resolve) => (answered = resolve));
  const stop = client.subscribe(
    { query },
    {
      next: (value) => answered(value.errors ? { errors: value.errors } : { data: value.data }),
      error: (e) => {
        errors.push(e);
        answered({ errors: e });
      },
      complete: () => undefined,
    },
  );
  return { first, errors, stop };
}

const typename = (client: Client) => firstAnswer(client, '{ __typename }');

describe('read inputs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('refuses an events subscription whose correlationId filter is 1 MB with BAD_USER_INPUT, holding nothing', async () => {
    const client = server.ws(await server.as({ role: 'customer', customerId: 'c-1', sub: 'attacker' }));
    const huge = 'x'.repeat(1_000_000);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        firstAnswer(client, 'subscription ($id: ID!) { events(filter: { correlationId: $id }) { eventId } }', {
          id: huge,
        }),
      ),
    );
    for (const answer of answers) {
      expect(answer).toEqual({
        errors: [
          {
            message: expect.stringContaining('MAX_ID_LENGTH'),
            extensions: { code: 'BAD_USER_INPUT', field: '$id' },
          },
        ],
      });
    }
    // The same in a literal, in a query, and in any id argument: an order id, an aggregateId filter.
    // Each request is checked, the same document sent again included (after one whose literals passed, too).
    for (let i = 0; i < 2; i++) {
      const literal = await server.gql(
        `{ events(filter: { aggregateId: "${'y'.repeat(5000)}" }) { nodes { eventId } } }`,
      );
      expect(literal.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const ORDER = 'query ($id: ID!) { order(id: $id) { id } }';
    expect(await server.gql(ORDER, { id: 'z' })).toEqual({ data: { order: null } });
    const order = await server.gql(ORDER, { id: 'z'.repeat(129) });
    expect(order.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: '$id' });
  });

  it('refuses type names that are no value of their enum and accepts ids at MAX_ID_LENGTH', async () => {
    const types = await server.gql(
      'query ($t: [EventType!]) { events(filter: { eventTypes: $t }) { nodes { eventId } } }',
      {
        t: ['OrderPlaced', 'O'.repeat(65)],
      },
    );
    expect(types.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    const aggregate = await server.gql(
      `{ events(filter: { aggregateType: ${'A'.repeat(65)} }) { nodes { eventId } } }`,
    );
    expect(aggregate.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    const atLimit = await server.gql('query ($id: ID!) { order(id: $id) { id } }', { id: 'z'.repeat(128) });
    expect(atLimit).toEqual({ data: { order: null } });
  });

  it('keeps memory bounded with two sockets full of the largest filters it admits', async () => {
    // The enums bound each type name (the longest is 19 characters); MAX_EVENT_TYPES bounds the list.
    const filter = {
      aggregateId: 'a'.repeat(128),
      correlationId: 'c'.repeat(128),
      aggregateType: 'Customer',
      eventTypes: Array.from({ length: 100 }, () => 'CustomerDeactivated'),
    };
    const before = process.memoryUsage().rss;
    for (const sub of ['filler-1', 'filler-2']) {
      const client = server.ws(await server.as({ role: 'customer', customerId: `c-${sub}`, sub }));
      // As many as a socket may hold (WS_MAX_SUBSCRIPTIONS) less one for the query that tells they were all taken.
      const opened = Array.from({ length: 99 }, () => idleSubscription(client, filter));
      expect(await typename(client)).toEqual({ data: { __typename: 'Query' } });
      expect(opened.filter((s) => s.errors.length > 0)).toEqual([]);
    }
    // 100 subscriptions of 1 MB filters grew a socket by 409 MiB; these hold a few KiB each.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20);
  });
});

describe('sockets per address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WS_MAX_CONNECTIONS_PER_ADDRESS: '4' });
  });
  afterAll(() => server.close());

  it('refuses the upgrade over WS_MAX_CONNECTIONS_PER_ADDRESS with 429 RATE_LIMITED, and admits one once a socket closes', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => openSocket(wsUrl(server))));
    expect(await handshake(wsUrl(server))).toEqual({
      status: 429,
      body: {
        errors: [
          {
            message: expect.stringContaining('WS_MAX_CONNECTIONS_PER_ADDRESS'),
            extensions: { code: 'RATE_LIMITED', limit: 'connectionsPerAddress', max: 4, retryAfterMs: 1000 },
          },
        ],
      },
    });
    // Other addresses are not held back (all of 127/8 is loopback).
    const elsewhere = new WebSocket(wsUrl(server), GRAPHQL_TRANSPORT_WS_PROTOCOL, { localAddress: '127.0.0.2' });
    await once(elsewhere, 'open');
    elsewhere.close();
    held[0]!.close();
    const again = await eventually(async () => openSocket(wsUrl(server)));
    for (const socket of [...held, again]) socket.close();
  });
});

describe('sockets and operations per caller', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      WS_MAX_CONNECTIONS_PER_PRINCIPAL: '2',
      WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: '3',
      WS_MAX_SOCKET_BYTES: '2048',
    });
  });
  afterAll(() => server.close());

  it('closes a connection_init without a token with 4401, and one with a bad token with 4403', async () => {
    expect(await init(await openSocket(wsUrl(server)))).toEqual({
      closed: 4401,
      reason: expect.stringMatching(/^Unauth/),
    });
    expect(await init(await openSocket(wsUrl(server)), {})).toMatchObject({ closed: 4401 });
    expect(await init(await openSocket(wsUrl(server)), { authorization: 'Bearer not.a.token' })).toMatchObject({
      closed: 4403,
    });
    expect(await init(await openSocket(wsUrl(server)), await server.as({ role: 'staff' }))).toEqual({ ack: true });
  });

  it("closes a caller's socket over WS_MAX_CONNECTIONS_PER_PRINCIPAL with 1013; other callers connect", async () => {
    const alice = await server.as({ role: 'customer', customerId: 'alice-id', sub: 'alice' });
    const sockets = [await openSocket(wsUrl(server)), await openSocket(wsUrl(server))];
    for (const socket of sockets) expect(await init(socket, alice)).toEqual({ ack: true });
    const third = await openSocket(wsUrl(server));
    expect(await init(third, alice)).toEqual({
      closed: 1013,
      reason: expect.stringContaining('WS_MAX_CONNECTIONS_PER_PRINCIPAL'),
    });
    const bob = await openSocket(wsUrl(server));
    expect(await init(bob, await server.as({ role: 'customer', customerId: 'bob-id', sub: 'bob' }))).toEqual({
      ack: true,
    });
    sockets[0]!.close();
    await eventually(async () => {
      const socket = await openSocket(wsUrl(server));
      const answer = await init(socket, alice);
      socket.close();
      expect(answer).toEqual({ ack: true });
    });
    for (const socket of [sockets[1]!, bob]) socket.close();
  });

  it("refuses a caller's operation over WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL across its sockets, for that id only", async () => {
    await server.gql('mutation { registerCustomer(input: { name: "Seen", email: "seen@example.com" }) { version } }');
    const carol = await server.as({ role: 'staff', sub: 'carol' });
    const [one, two] = [server.ws(carol), server.ws(carol)];
    // Each delivers the log's first event at once, which shows it was taken, and stays open.
    const held = [one, one, two].map((client) =>
      openSubscription(client, 'subscription { events(after: "0") { eventId } }'),
    );
    for (const { first } of held) expect(await first).toEqual({ data: expect.anything() });
    const over = await firstAnswer(two, 'subscription { events { eventId } }');
    expect(over).toEqual({
      errors: [
        {
          message: expect.stringContaining('WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL'),
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'subscriptionsPerPrincipal', max: 3, actual: 4 },
        },
      ],
    });
    expect(held.map((s) => s.errors)).toEqual([[], [], []]);
    // Another caller is not counted against carol.
    const dave = server.ws(await server.as({ role: 'customer', customerId: 'dave-id', sub: 'dave' }));
    expect(await typename(dave)).toEqual({ data: { __typename: 'Query' } });
    held[0]!.stop();
    await eventually(async () => expect(await typename(two)).toEqual({ data: { __typename: 'Query' } }));
  });

  it('refuses an operation that would make its socket hold more than WS_MAX_SOCKET_BYTES', async () => {
    const client = server.ws(await server.as({ role: 'customer', customerId: 'erin-id', sub: 'erin' }));
    const padded = (n: number) => `subscription { events { eventId } } # ${'p'.repeat(n)}`;
    const first = idleSubscription(client, {});
    const over = await firstAnswer(client, padded(2048));
    expect(over).toEqual({
      errors: [
        {
          message: expect.stringContaining('WS_MAX_SOCKET_BYTES'),
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'socketBytes', max: 2048, actual: expect.any(Number) },
        },
      ],
    });
    expect(first.errors).toEqual([]);
  });
});

describe('sockets per caller, while a token is being checked', () => {
  let server: JwksOrderstream;
  let key: SigningKey;
  beforeAll(async () => {
    key = await signingKey('ES256', 'edge');
    // A server that checks tokens against a JWKS it has to fetch, which the test can hold back.
    server = await startJwksOrderstream([key], { WS_MAX_CONNECTIONS_PER_PRINCIPAL: '1', METRICS_TOKEN: METRICS });
  });
  afterAll(() => server.close());
  const url = () => `${server.app.url.replace(/^http/, 'ws')}/graphql`;

  const openSockets = async () => {
    const res = await fetch(`${server.app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    return Number(/^orderstream_websocket_connections (\d+)$/m.exec(await res.text())![1]);
  };

  it("drops a socket that closed while its token was being checked: never counted against its caller's cap", async () => {
    const token = { authorization: `Bearer ${await signWith(key, { sub: 'frank', role: 'staff' })}` };
    // The identity provider is slow: the socket is gone before its token is known to be good.
    const release = server.jwks.hold();
    const fetches = server.jwks.fetches;
    const gone = await openSocket(url());
    gone.send(JSON.stringify({ type: 'connection_init', payload: token }));
    await eventually(async () => expect(server.jwks.fetches).toBeGreaterThan(fetches));
    gone.terminate();
    await eventually(async () => expect(await openSockets()).toBe(0));
    release();
    // Had the gone socket been counted, frank's one socket would now be refused with 1013.
    const socket = await openSocket(url());
    expect(await init(socket, token)).toEqual({ ack: true });
    socket.close();
  });
});

describe('HTTP connections', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      HTTP_MAX_CONNECTIONS: '8',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
    });
  });
  afterAll(() => server.close());

  const connect = async () => {
    const url = new URL(server.app.url);
    const socket = net.connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    return socket;
  };

  /** Everything the server sends on the socket until it closes it. */
  const answerOf = (socket: net.Socket) =>
    new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });

  const jsonBody = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

  it('answers headers over the size limit with 431 and a JSON body', async () => {
    const socket = await connect();
    const answer = answerOf(socket);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`);
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(jsonBody(text)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' } }],
    });
  });

  it('answers malformed HTTP with 400 and a JSON body', async () => {
    const socket = await connect();
    const answer = answerOf(socket);
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(jsonBody(text).errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  it('closes a client that never finishes its headers (slowloris) with 408 and a JSON body', async () => {
    const socket = await connect();
    const answer = answerOf(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(jsonBody(text).errors[0].extensions).toEqual({ code: 'REQUEST_TIMEOUT' });
  });

  it('drops connections over HTTP_MAX_CONNECTIONS and serves again once they close', async () => {
    const held = await Promise.all(Array.from({ length: 8 }, connect));
    const over = await connect();
    expect(await answerOf(over)).toBe('');
    for (const socket of held) socket.destroy();
    await eventually(async () => expect((await fetch(`${server.app.url}/healthz`)).status).toBe(200));
  });
});
