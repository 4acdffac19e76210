import WebSocket from 'ws';
import { rawGraphqlPost } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/server';

// DNS rebinding: a page at http://attacker.example:PORT whose name now resolves to 127.0.0.1 is same-origin with
// the service as far as the browser knows, so neither CORS nor the WebSocket Origin check stops it. Its requests
// still say `Host: attacker.example:PORT`, and a service on loopback answers only to loopback names.

const REGISTER = {
  query: 'mutation { registerCustomer(input: { name: "Rebound", email: "rebound@example.com" }) { aggregateId } }',
};

const post = (server: TestServer, host: string) =>
  rawGraphqlPost(`${server.app.url}/graphql`, REGISTER, { headers: { host } });

/** Resolves with the HTTP status the upgrade was refused with, or 101 once the socket opens. */
function upgrade(server: TestServer, host: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.app.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
      headers: { host },
      origin,
    });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    socket.on('error', reject);
  });
}

async function eventCount(server: TestServer): Promise<number> {
  const { rows } = await server.sql.query('SELECT count(*)::int AS n FROM events');
  return rows[0].n;
}

describe('a service listening on loopback', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('refuses a request for another host name with 403 FORBIDDEN, running nothing', async () => {
    const port = new URL(server.app.url).port;
    const before = await eventCount(server);
    const res = await post(server, `attacker.example:${port}`);
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await eventCount(server)).toBe(before);
  });

  it('refuses a WebSocket from a rebound page, whose Origin matches its Host', async () => {
    const port = new URL(server.app.url).port;
    expect(await upgrade(server, `attacker.example:${port}`, `http://attacker.example:${port}`)).toBe(403);
  });

  it('answers to its loopback names', async () => {
    const port = new URL(server.app.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await post(server, host)).status).toBe(200);
    }
    expect(await upgrade(server, `localhost:${port}`, `http://localhost:${port}`)).toBe(101);
  });
});

describe('with ALLOWED_HOSTS set', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ALLOWED_HOSTS: 'orders.example.com' });
  });
  afterAll(() => server.close());

  it('answers to the listed names and to loopback, and to no other', async () => {
    expect((await post(server, 'orders.example.com')).status).toBe(200);
    expect((await post(server, 'orders.example.com:8443')).status).toBe(200);
    expect((await post(server, '127.0.0.1')).status).toBe(200);
    expect((await post(server, 'other.example.com')).status).toBe(403);
  });
});
