import path from 'node:path';
import { startChildServer, type ChildServer } from '../support/child-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unlistedCodes } from '../support/error-codes';
import { startTestServer, TEST_DATA_KEY, withoutCost, type GraphQLResponse, type TestServer } from '../support/server';

const ROOT = path.resolve(__dirname, '../..');
const BODY_LIMIT = 4096;

type Probe = {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  code: string;
  message?: RegExp;
};
type Answer = { status: number; headers: Headers; text: string };

const JSON_TYPE = { 'content-type': 'application/json' };
const TYPENAME = JSON.stringify({ query: '{ __typename }' });

/** Hostile or mistaken requests, each with the status and code it must be answered with. */
const PROBES: Probe[] = [
  { name: 'malformed JSON', body: '{"query": "{ __typename }"', status: 400, code: 'BAD_REQUEST' },
  { name: 'a body of null', body: 'null', status: 400, code: 'BAD_REQUEST' },
  { name: 'a body of "hello"', body: '"hello"', status: 400, code: 'BAD_REQUEST' },
  {
    name: 'a body over BODY_LIMIT_BYTES',
    body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(BODY_LIMIT) } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'JSON declared as UTF-16',
    headers: { 'content-type': 'application/json; charset=utf-16' },
    body: TYPENAME,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a text/plain body',
    headers: { 'content-type': 'text/plain' },
    body: TYPENAME,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a GET of an unknown path',
    method: 'GET',
    path: '/no/such/page',
    headers: {},
    status: 404,
    code: 'NOT_FOUND',
  },
  { name: 'a POST to an unknown path', path: '/graphqlx', body: TYPENAME, status: 404, code: 'NOT_FOUND' },
  { name: 'a batch of operations (batching is off)', body: `[${TYPENAME}]`, status: 400, code: 'BAD_REQUEST' },
  { name: 'a PUT', method: 'PUT', body: TYPENAME, status: 405, code: 'BAD_REQUEST' },
  {
    name: 'a subscription over HTTP',
    body: JSON.stringify({ query: 'subscription { events { position } }' }),
    status: 400,
    code: 'BAD_REQUEST',
    message: /graphql-ws.*same URL/,
  },
];

async function send(base: string, probe: Omit<Probe, 'name' | 'status' | 'code'>): Promise<Answer> {
  const res = await fetch(`${base}${probe.path ?? '/graphql'}`, {
    method: probe.method ?? 'POST',
    headers: probe.headers ?? JSON_TYPE,
    body: probe.body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function expectGraphQLShapedError(answer: Answer, probe: Probe): void {
  expect({ status: answer.status, type: answer.headers.get('content-type') }).toEqual({
    status: probe.status,
    type: expect.stringMatching(/^application\/json/),
  });
  const body = JSON.parse(answer.text);
  expect(body).toEqual({
    errors: [{ message: expect.stringMatching(probe.message ?? /./), extensions: { code: probe.code } }],
  });
  expect(unlistedCodes(body.errors)).toEqual([]);
  expect(answer.text).not.toMatch(/<[a-z!][^>]*>/i);
  expect(answer.text).not.toMatch(/\bat .+:\d+:\d+|node_modules/);
  expect(answer.text).not.toContain(ROOT);
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
});
afterAll(() => server.close());

describe('errors on every path', () => {
  it.each(PROBES)(
    'answers $name with GraphQL-shaped JSON: status $status, code $code, no HTML, stack or path',
    async (probe) => {
      expectGraphQLShapedError(await send(server.app.url, probe), probe);
    },
  );

  it('accepts a body just under BODY_LIMIT_BYTES, and JSON declared as UTF-8 in any spelling', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(BODY_LIMIT - 100) } });
    for (const contentType of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON;charset="UTF-8"',
    ]) {
      const answer = await send(server.app.url, { headers: { 'content-type': contentType }, body });
      expect({
        contentType,
        status: answer.status,
        body: withoutCost(JSON.parse(answer.text) as GraphQLResponse),
      }).toEqual({
        contentType,
        status: 200,
        body: { data: { __typename: 'Query' } },
      });
    }
  });
});

describe('the log of refused requests', () => {
  let db: TestDatabase;
  let child: ChildServer;
  const lines: string[] = [];
  let stderr = '';
  beforeAll(async () => {
    db = await createTestDatabase();
    // NODE_ENV=production: Express prints the stack of an unhandled error to stderr outside of `test`.
    child = await startChildServer(db.url, {
      NODE_ENV: 'production',
      DATA_KEY: TEST_DATA_KEY,
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
    });
    let partial = '';
    child.process.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      lines.push(...complete);
    });
    child.process.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  }, 90_000);
  afterAll(async () => {
    await child?.stop();
    await db?.drop();
  });

  it('has one structured line per refused request, with its status and code, and nothing on stderr', async () => {
    for (const probe of PROBES) await send(child.url, probe);
    // Log lines come through a pipe, after the answers: the line of one more request marks that all have arrived.
    await send(child.url, { path: '/end-of-probes', method: 'GET', headers: {} });
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!lines.some((l) => l.includes('/end-of-probes'))) return;
        child.process.stdout!.off('data', check);
        clearTimeout(timer);
        resolve();
      };
      // A bound on a failure, not a wait for success: the server logs the marker within milliseconds or never.
      const timer = setTimeout(
        () => reject(new Error(`no log line for the marker; stdout: ${lines.join('\n')}; stderr: ${stderr}`)),
        10_000,
      );
      child.process.stdout!.on('data', check);
      check();
    });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const refusals = logged.filter((l) => l.msg === 'request refused' && l.path !== '/end-of-probes');
    expect(refusals.map((l) => [l.status, l.code])).toEqual(PROBES.map((p) => [p.status, p.code]));
    expect(stderr).toBe('');
  });
});

function preflight(base: string, origin: string): Promise<Response> {
  return fetch(`${base}/graphql`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
}

function post(base: string, origin: string): Promise<Response> {
  return fetch(`${base}/graphql`, { method: 'POST', headers: { ...JSON_TYPE, origin }, body: TYPENAME });
}

describe('CORS', () => {
  it('answers the preflight for /graphql from Apollo Sandbox with its origin, POST and content-type allowed', async () => {
    const res = await preflight(server.app.url, 'https://studio.apollographql.com');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });

  it.each(['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://localhost'])(
    'admits the loopback origin %s by default, on the preflight and on the response',
    async (origin) => {
      expect((await preflight(server.app.url, origin)).headers.get('access-control-allow-origin')).toBe(origin);
      const res = await post(server.app.url, origin);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    },
  );

  it.each([
    'https://evil.example',
    'http://localhost.evil.example',
    'https://studio.apollographql.com.evil.example',
    'null',
  ])(
    'gives the origin %s no Access-Control-Allow-Origin by default, so the browser withholds the answer',
    async (origin) => {
      expect((await preflight(server.app.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
      expect((await post(server.app.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
    },
  );

  describe('with CORS_ORIGINS set', () => {
    let configured: TestServer;
    beforeAll(async () => {
      configured = await startTestServer({ CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com/' });
    });
    afterAll(() => configured.close());

    it('admits exactly the listed origins, and no longer the loopback ones', async () => {
      for (const origin of ['https://shop.example.com', 'https://admin.example.com']) {
        expect((await preflight(configured.app.url, origin)).headers.get('access-control-allow-origin')).toBe(origin);
      }
      for (const origin of ['http://localhost:5173', 'https://studio.apollographql.com', 'http://shop.example.com']) {
        expect((await preflight(configured.app.url, origin)).headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });
});

describe('security headers', () => {
  it('sends X-Content-Type-Options: nosniff on every response, JSON, errors, pages and assets alike', async () => {
    const answers = await Promise.all([
      fetch(`${server.app.url}/graphql`, { method: 'POST', headers: JSON_TYPE, body: TYPENAME }),
      fetch(`${server.app.url}/graphql`, { method: 'POST', headers: JSON_TYPE, body: 'null' }),
      fetch(`${server.app.url}/healthz`),
      fetch(`${server.app.url}/nothing-here`),
      fetch(`${server.app.url}/graphql`, { headers: { accept: 'text/html' } }),
      fetch(`${server.app.url}/live`),
      fetch(`${server.app.url}/ide/graphiql.js`),
      fetch(`${server.app.url}/live/page.js`),
    ]);
    expect(answers.map((res) => [res.url, res.headers.get('x-content-type-options')])).toEqual(
      answers.map((res) => [res.url, 'nosniff']),
    );
  });

  it.each([
    ['the IDE', '/graphql'],
    ['the live page', '/live'],
  ])(
    'serves %s with a CSP that runs only its own files and forbids framing, and no inline script or style',
    async (_name, page) => {
      const res = await fetch(`${server.app.url}${page}`, { headers: { accept: 'text/html' } });
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = Object.fromEntries(
        (res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')];
        }),
      );
      expect(csp).toMatchObject({
        'default-src': "'self'",
        'script-src': "'self'",
        'style-src': "'self'",
        'frame-ancestors': "'none'",
      });
      expect(csp['script-src-attr']).toBe("'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
    },
  );
});
