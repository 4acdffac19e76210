import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { rawGraphqlPost } from '../support/raw-http';
import { startTestServer, wsRequest, type GraphQLResponse, type TestServer } from '../support/server';

// A token comes back every 1,000 s: within a test a caller's bucket only ever empties, whatever the machine's pace.
const BURST = 3;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_MUTATIONS_PER_SECOND: '0.001', RATE_LIMIT_BURST: String(BURST) });
});
afterAll(() => server.close());

type Answer = { status: number; retryAfter: string | undefined; body: GraphQLResponse };

/**
 * Each test is a caller of its own: a user (the token's subject), whatever address the request comes from; all of
 * them share this machine's loopback address.
 */
async function postFrom(caller: string, query: string): Promise<Answer> {
  const headers = await server.as({ role: 'staff', sub: caller });
  const res = await rawGraphqlPost(`${server.app.url}/graphql`, { query }, { headers });
  return { status: res.status, retryAfter: res.headers['retry-after'], body: res.body };
}

function wsFrom(caller: string): Client {
  const client = createClient({
    url: `${server.app.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: () => server.as({ role: 'staff', sub: caller }),
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}
const clients: Client[] = [];
afterAll(() => Promise.all(clients.map((c) => c.dispose())));

let registrations = 0;
const register = () =>
  `mutation { registerCustomer(input: { name: "Caller ${++registrations}", email: "rl${registrations}@example.com" }) { aggregateId } }`;

const limited = {
  errors: [
    {
      message: expect.stringContaining('Too many mutations'),
      extensions: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) },
    },
  ],
};

it('refuses a caller its mutations beyond the burst with RATE_LIMITED, HTTP 429, retryAfterMs and Retry-After', async () => {
  for (let i = 0; i < BURST; i++) expect((await postFrom('caller-2', register())).status).toBe(200);
  const refused = await postFrom('caller-2', register());
  expect(refused.status).toBe(429);
  expect(refused.body).toMatchObject(limited);
  const retryAfterMs: number = refused.body.errors![0]!.extensions!.retryAfterMs;
  expect(retryAfterMs).toBeGreaterThan(0);
  expect(refused.retryAfter).toBe(String(Math.ceil(retryAfterMs / 1000)));
});

it('keeps callers apart, and lets queries through for a caller out of mutations', async () => {
  for (let i = 0; i <= BURST; i++) await postFrom('caller-3', register());
  expect((await postFrom('caller-3', register())).status).toBe(429);
  expect(await postFrom('caller-3', '{ __typename }')).toMatchObject({
    status: 200,
    body: { data: { __typename: 'Query' } },
  });
  expect(await postFrom('caller-4', register())).toMatchObject({
    status: 200,
    body: { data: { registerCustomer: expect.any(Object) } },
  });
});

it("counts mutations over graphql-ws against the same caller's bucket, and refuses them there alike", async () => {
  const ws = wsFrom('caller-5');
  for (let i = 0; i < BURST - 1; i++) expect((await postFrom('caller-5', register())).status).toBe(200);
  expect((await wsRequest(ws, register())).errors).toBeUndefined();
  // Refused before it runs: graphql-ws's `error` message for that operation's id.
  await expect(wsRequest(ws, register())).rejects.toMatchObject(limited.errors);
  expect(await postFrom('caller-5', register())).toMatchObject({ status: 429, body: limited });
  // The refusal ended that operation only: the socket still serves queries.
  expect(await wsRequest(ws, '{ __typename }')).toEqual({ data: { __typename: 'Query' } });
});

it('counts each root field of a mutation as one command, so aliases buy no extra commands', async () => {
  const aliased = `mutation { ${Array.from({ length: BURST }, (_, i) => `c${i}: ${register().slice('mutation { '.length, -' }'.length)}`).join(' ')} }`;
  const all = await postFrom('caller-6', aliased);
  expect(all.status).toBe(200);
  expect(Object.keys(all.body.data!)).toHaveLength(BURST);
  expect(await postFrom('caller-6', register())).toMatchObject({ status: 429, body: limited });
});

describe('two instances on one database', () => {
  const RATE = 5;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = { RATE_LIMIT_MUTATIONS_PER_SECOND: String(RATE) };
    a = await startTestServer(env);
    // The second instance's database is the first's: it leaves dropping it to the first.
    b = await startTestServer(env, { db: { url: a.db.url, drop: async () => undefined } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('gives one caller alternating between them the rate in all, not once per instance', async () => {
    const headers = await a.as({ role: 'staff', sub: 'alternating-caller' });
    const send = async (server: TestServer) =>
      (await rawGraphqlPost(`${server.app.url}/graphql`, { query: register() }, { headers })).status;
    const statuses: number[] = [];
    const started = performance.now();
    // As fast as it can, for three seconds: far more than either instance would refuse on its own.
    while (performance.now() - started < 3000) statuses.push(await send(statuses.length % 2 ? b : a));
    const seconds = (performance.now() - started) / 1000;
    const granted = statuses.filter((status) => status === 200).length;
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(2 * (RATE + RATE * seconds));
    // The burst (RATE) at once, then RATE a second: one bucket. Per instance it would be twice that.
    expect(granted).toBeLessThanOrEqual(RATE + Math.ceil(RATE * seconds));
    expect(granted).toBeGreaterThanOrEqual(RATE + Math.floor(RATE * seconds * 0.8));
  });
});
