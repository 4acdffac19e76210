import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, type Client } from 'graphql-ws';
import { decodeJwt, exportSPKI, SignJWT, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../src/config';
import { expectListedCodes } from '../support/error-codes';
import { signingKey, signWith, type SigningKey } from '../support/jwks-server';
import { startJwksOrderstream, type JwksOrderstream } from '../support/jwks-orderstream';
import { collect } from '../support/subscriptions';
import {
  startTestServer,
  TEST_DATA_KEY,
  TEST_JWT_SECRET,
  wsRequest,
  type GraphQLResponse,
  type TestServer,
} from '../support/server';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'orderstream';

const REGISTER = `mutation ($name: String!) {
  registerCustomer(input: { name: $name, email: "auth@example.com" }) { aggregateId }
}`;
const ORDERS = '{ orders { nodes { id } } }';
const STATUS_COUNTS = '{ orderStatusCounts { status count } }';
const CUSTOMER_EVENTS = 'subscription { events(filter: { aggregateType: Customer }, after: "0") { aggregateId } }';

const now = () => Math.floor(Date.now() / 1000);
const DAY_S = 24 * 3600;
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HS256 token signed by hand (not by the server's own minting), so every claim and date is the test's choice. */
function hs256(
  claims: JWTPayload,
  {
    secret = TEST_JWT_SECRET,
    exp = now() + 3600,
    kid,
  }: { secret?: string | Uint8Array; exp?: number; kid?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) })
    .setIssuedAt(Math.min(now(), exp - 60))
    .setExpirationTime(exp)
    .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);
}

/** The `alg: none` token: a header and payload, no signature. */
function unsigned(claims: JWTPayload): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iat: now(), exp: now() + 3600, ...claims })}.`;
}

type HttpAnswer = { status: number; wwwAuthenticate: string | null; body: GraphQLResponse };

/**
 * One POST to /graphql with fetch, with exactly the headers given (no Authorization unless they carry one); throws if
 * an error's code is not in the schema's enums.
 */
async function post(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GraphQLResponse;
  expectListedCodes(body.errors);
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), body };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** What every refused token gets: HTTP 401, a Bearer challenge, UNAUTHENTICATED, and no data at all. */
function expectRefused(answer: HttpAnswer): void {
  expect(answer.status).toBe(401);
  expect(answer.wwwAuthenticate).toBe('Bearer');
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
  ]);
}

const codes = (response: GraphQLResponse) => response.errors?.map((e) => e.extensions?.code);

async function eventCount(server: TestServer): Promise<number> {
  return (await server.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('HTTP', () => {
  describe('without a token', () => {
    it('answers __typename and introspection', async () => {
      const typename = await post(server.app.url, '{ __typename }');
      expect(typename).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
      expect(typename.body.errors).toBeUndefined();

      const introspection = await post(server.app.url, getIntrospectionQuery());
      expect(introspection.status).toBe(200);
      expect(introspection.body.errors).toBeUndefined();
      expect(introspection.body.data!.__schema.queryType).toMatchObject({ name: 'Query' });
      const types = introspection.body.data!.__schema.types.map((t: { name: string }) => t.name);
      expect(types).toEqual(expect.arrayContaining(['Order', 'Event', 'Mutation', 'Subscription']));
    });

    it('answers every operation UNAUTHENTICATED (HTTP 200: the request itself was fine) and appends nothing', async () => {
      const query = await post(server.app.url, ORDERS);
      expect(query.status).toBe(200);
      expect(codes(query.body)).toEqual(['UNAUTHENTICATED']);
      expect(query.body.data).toBeNull();

      const before = await eventCount(server);
      const mutation = await post(server.app.url, REGISTER, { name: 'Anonymous' });
      expect(codes(mutation.body)).toEqual(['UNAUTHENTICATED']);
      expect(mutation.body.data).toEqual({ registerCustomer: null });
      expect(await eventCount(server)).toBe(before);
    });
  });

  describe('a bad token fails the whole request with 401 UNAUTHENTICATED, and nothing is appended', () => {
    const cases: [string, () => Promise<string>][] = [
      [
        'an expired token (past the 30 s clock tolerance)',
        () => hs256({ sub: 'late', role: 'staff' }, { exp: now() - 120 }),
      ],
      ['a token signed with another secret', () => hs256({ sub: 'eve', role: 'admin' }, { secret: 'x'.repeat(40) })],
      ['an alg:none token', async () => unsigned({ sub: 'eve', role: 'admin' })],
      [
        'a valid token whose payload was altered (role staff → admin, signature kept)',
        async () => {
          const [header, , signature] = (await hs256({ sub: 'mallory', role: 'staff' })).split('.');
          return `${header}.${base64url({ sub: 'mallory', role: 'admin', iat: now(), exp: now() + 3600 })}.${signature}`;
        },
      ],
      ['a customer token without customer_id', () => hs256({ sub: 'carol', role: 'customer' })],
      ['a token with an unknown role', () => hs256({ sub: 'root', role: 'superuser' })],
      ['a token without a role', () => hs256({ sub: 'nobody' })],
      ['a token without sub', () => hs256({ role: 'admin' })],
      ['a token that is not a JWT at all', async () => 'garbage'],
      [
        'a token that never expires (no exp)',
        () =>
          new SignJWT({ sub: 'forever', role: 'admin' })
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(TEST_JWT_SECRET)),
      ],
      [
        'a token valid for a century (AUTH_MAX_TOKEN_LIFETIME is 30 days by default)',
        () => hs256({ sub: 'methuselah', role: 'admin' }, { exp: now() + 100 * 365 * DAY_S }),
      ],
      [
        'a token valid an hour longer than AUTH_MAX_TOKEN_LIFETIME',
        () => hs256({ sub: 'greedy', role: 'admin' }, { exp: now() + 30 * DAY_S + 3600 }),
      ],
      ['a sub with a bidi override (U+202E)', () => hs256({ sub: 'admin\u202egnp.exe', role: 'staff' })],
      ['a sub with a bidi isolate (U+2066)', () => hs256({ sub: '\u2066admin', role: 'staff' })],
      ['a sub with a zero-width space (U+200B)', () => hs256({ sub: 'ad\u200bmin', role: 'staff' })],
      ['a sub with a zero-width joiner (U+200D)', () => hs256({ sub: 'ad\u200dmin', role: 'staff' })],
      ['a sub with a byte order mark (U+FEFF)', () => hs256({ sub: '\ufeffadmin', role: 'staff' })],
      ['a sub with an invisible filler letter (U+3164)', () => hs256({ sub: 'admin\u3164', role: 'staff' })],
      ['a sub with a space', () => hs256({ sub: 'ada lovelace', role: 'staff' })],
      ['a sub of 256 characters', () => hs256({ sub: 's'.repeat(256), role: 'staff' })],
      // The service's own commands (reactions, deadlines) are recorded as `system`, their commandIds in its scope.
      ['a sub of "system", the service\'s own', () => hs256({ sub: 'system', role: 'admin' })],
    ];

    it.each(cases)('%s', async (_name, make) => {
      const before = await eventCount(server);
      expectRefused(await post(server.app.url, REGISTER, { name: 'Refused' }, bearer(await make())));
      expect(await eventCount(server)).toBe(before);
    });

    it.each(['Basic abc', 'Bearer', 'Bearer two tokens', 'Bearer not!a:token', 'Token abc.def.ghi'])(
      'a malformed Authorization value: %j',
      async (authorization) => {
        const before = await eventCount(server);
        expectRefused(await post(server.app.url, REGISTER, { name: 'Malformed' }, { authorization }));
        expect(await eventCount(server)).toBe(before);
      },
    );

    it('says the same thing whichever check failed (no oracle for the caller)', async () => {
      const tokens = await Promise.all(cases.map(([, make]) => make()));
      const messages = new Set<string>();
      for (const token of tokens) {
        const answer = await post(server.app.url, ORDERS, undefined, bearer(token));
        messages.add(answer.body.errors![0]!.message);
      }
      expect(messages.size).toBe(1);
    });
  });

  it('accepts a token that expired within the 30 s clock tolerance', async () => {
    const answer = await post(
      server.app.url,
      STATUS_COUNTS,
      undefined,
      bearer(await hs256({ sub: 's', role: 'staff' }, { exp: now() - 5 })),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
  });

  it('accepts a token as long-lived as AUTH_MAX_TOKEN_LIFETIME allows, with a sub of visible characters in any script', async () => {
    for (const sub of ['auth0|5f7c8ec7c33c6c004bbafe82', 'zoë@example.com', '名前-42', 's'.repeat(255)]) {
      const token = await hs256({ sub, role: 'staff' }, { exp: now() + 30 * DAY_S });
      const answer = await post(server.app.url, STATUS_COUNTS, undefined, bearer(token));
      expect({ sub, status: answer.status, errors: answer.body.errors }).toEqual({
        sub,
        status: 200,
        errors: undefined,
      });
    }
  });

  describe('with AUTH_MAX_TOKEN_LIFETIME=3600 (seconds)', () => {
    let brief: TestServer;
    beforeAll(async () => {
      brief = await startTestServer({ AUTH_MAX_TOKEN_LIFETIME: '3600' });
    });
    afterAll(() => brief.close());

    it('accepts a token that expires within the hour, over HTTP and graphql-ws', async () => {
      const token = await hs256({ sub: 'brief', role: 'staff' }, { exp: now() + 3500 });
      const answer = await post(brief.app.url, STATUS_COUNTS, undefined, bearer(token));
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      const client = brief.ws(bearer(token));
      expect((await wsRequest(client, STATUS_COUNTS)).errors).toBeUndefined();
    });

    it('refuses a token that expires in two hours, and the server’s own 30-day mint', async () => {
      expectRefused(
        await post(
          brief.app.url,
          STATUS_COUNTS,
          undefined,
          bearer(await hs256({ sub: 'b', role: 'staff' }, { exp: now() + 7200 })),
        ),
      );
      const minted = await brief.token({ role: 'staff', expiresIn: '30d' });
      expectRefused(await post(brief.app.url, STATUS_COUNTS, undefined, bearer(minted)));
    });
  });

  it('records the token’s sub as the events’ metadata.userId; an x-user-id header changes nothing', async () => {
    const headers = { ...(await server.as({ role: 'staff', sub: 'alice' })), 'x-user-id': 'mallory' };
    const registered = await post(server.app.url, REGISTER, { name: 'By Alice' }, headers);
    expect(registered.body.errors).toBeUndefined();
    const customerId = registered.body.data!.registerCustomer.aggregateId as string;

    const stored = await server.sql.query<{ metadata: { userId: string } }>(
      'SELECT metadata FROM events WHERE aggregate_id = $1',
      [customerId],
    );
    expect(stored.rows.map((r) => r.metadata.userId)).toEqual(['alice']);
    const read = await server.gql(
      `query ($id: ID!) { events(filter: { aggregateId: $id }) { nodes { metadata { userId } } } }`,
      { id: customerId },
    );
    expect(read.data!.events.nodes).toEqual([{ metadata: { userId: 'alice' } }]);
  });

  describe('with AUTH_ISSUER and AUTH_AUDIENCE', () => {
    let strict: TestServer;
    beforeAll(async () => {
      strict = await startTestServer({ AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
    });
    afterAll(() => strict.close());

    it('accepts a token with that issuer and audience', async () => {
      const token = await hs256({ sub: 'staff-1', role: 'staff', iss: ISSUER, aud: AUDIENCE });
      const answer = await post(strict.app.url, STATUS_COUNTS, undefined, bearer(token));
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    });

    it.each<[string, JWTPayload]>([
      ['a wrong issuer', { iss: 'https://elsewhere.test', aud: AUDIENCE }],
      ['a wrong audience', { iss: ISSUER, aud: 'another-service' }],
      ['no issuer', { aud: AUDIENCE }],
      ['no audience', { iss: ISSUER }],
    ])('refuses a token with %s', async (_name, claims) => {
      const before = await eventCount(strict);
      const token = await hs256({ sub: 'staff-1', role: 'staff', ...claims });
      expectRefused(await post(strict.app.url, REGISTER, { name: 'Wrong issuer' }, bearer(token)));
      expect(await eventCount(strict)).toBe(before);
    });
  });
});

describe('graphql-ws', () => {
  const wsUrl = () => `${server.app.url.replace(/^http/, 'ws')}/graphql`;

  /** Opens a raw socket, sends connection_init with `payload`, and resolves with the server's first answer. */
  async function connectionInit(payload: unknown): Promise<{ message: unknown } | { closed: number }> {
    const socket = new WebSocket(wsUrl(), GRAPHQL_TRANSPORT_WS_PROTOCOL);
    await once(socket, 'open');
    const closed = once(socket, 'close').then(([code]) => ({ closed: code as number }));
    const message = once(socket, 'message').then(([data]) => ({ message: JSON.parse(String(data)) as unknown }));
    message.catch(() => undefined);
    socket.send(JSON.stringify({ type: 'connection_init', payload }));
    const answer = await Promise.race([message, closed]);
    socket.close();
    await closed;
    return answer;
  }

  /** The close event's code, once the client's socket closes. */
  function closeOf(client: Client, timeoutMs = 15_000): Promise<{ code: number; at: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs);
      client.on('closed', (event) => {
        clearTimeout(timer);
        resolve({ code: (event as { code: number }).code, at: Date.now() });
      });
    });
  }

  /** The errors of the first result (or of the error message) an operation gets. */
  function firstErrors(client: Client, query: string): Promise<readonly { extensions?: Record<string, unknown> }[]> {
    return new Promise((resolve, reject) => {
      client.subscribe(
        { query },
        {
          next: (result) => (result.errors ? resolve(result.errors) : reject(new Error(JSON.stringify(result)))),
          error: (error) => (Array.isArray(error) ? resolve(error) : reject(error)),
          complete: () => reject(new Error('completed without an error')),
        },
      );
    });
  }

  it('acknowledges a valid token and closes a connection without one with 4401', async () => {
    const { authorization } = await server.as({ role: 'staff' });
    expect(await connectionInit({ authorization })).toEqual({ message: { type: 'connection_ack' } });
    expect(await connectionInit(undefined)).toEqual({ closed: 4401 });
  });

  it.each<[string, () => Promise<unknown>]>([
    ['an expired token', async () => `Bearer ${await hs256({ sub: 'late', role: 'staff' }, { exp: now() - 120 })}`],
    ['another secret', async () => `Bearer ${await hs256({ sub: 'eve', role: 'admin' }, { secret: 'y'.repeat(40) })}`],
    ['alg:none', async () => `Bearer ${unsigned({ sub: 'eve', role: 'admin' })}`],
    ['a customer without customer_id', async () => `Bearer ${await hs256({ sub: 'carol', role: 'customer' })}`],
    ['an unknown role', async () => `Bearer ${await hs256({ sub: 'root', role: 'superuser' })}`],
    ['Basic credentials', async () => 'Basic abc'],
    ['a number', async () => 42],
  ])('refuses the connection (close 4403) for %s', async (_name, authorization) => {
    expect(await connectionInit({ authorization: await authorization() })).toEqual({ closed: 4403 });
  });

  it('closes a graphql-ws client that sends a bad token with 4403, failing its operation', async () => {
    const client = server.ws(bearer(await hs256({ sub: 'eve', role: 'admin' }, { secret: 'z'.repeat(40) })));
    const closed = closeOf(client);
    const outcome = new Promise<unknown>((resolve) =>
      client.subscribe({ query: ORDERS }, { next: resolve, error: resolve, complete: () => resolve('complete') }),
    );
    expect(await closed).toMatchObject({ code: 4403 });
    expect(await outcome).toMatchObject({ code: 4403 });
  });

  it('refuses a connection without a token at connection_init with 4401, before any operation', async () => {
    const client = server.ws({});
    const closed = closeOf(client);
    expect((await firstErrors(client, '{ __typename }').catch((e: unknown) => e)) as object).toMatchObject({
      code: 4401,
    });
    expect((await closed).code).toBe(4401);
  });

  it('closes the socket of an open subscription with 4401 when its token expires, with the clock tolerance', async () => {
    await server.gql(REGISTER, { name: 'Before expiry' });
    // Expired 28 s ago: still accepted, as over HTTP, within the 30 s tolerance for the issuer's clock, which
    // runs out 2 s from now.
    const token = await hs256({ sub: 'short-lived', role: 'staff' }, { exp: now() - 28 });
    const expiresAt = (decodeJwt(token).exp! + 30) * 1000;
    const client = server.ws(bearer(token));
    const closed = closeOf(client);
    const subscription = collect(client, CUSTOMER_EVENTS, {}, (d) => d.events.aggregateId as string);
    // The subscription is live: it delivers the log's customers.
    await subscription.until(1);
    const { code, at } = await closed;
    expect(code).toBe(4401);
    expect(at).toBeGreaterThanOrEqual(expiresAt - 50);
    await subscription.done();
    expect(subscription.errors).toEqual([expect.objectContaining({ code: 4401 })]);
  });
});

describe('JWKS (RS256, ES256)', () => {
  async function startWithJwks(keys: readonly SigningKey[]): Promise<JwksOrderstream> {
    const started = await startJwksOrderstream(keys, { AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
    expect(started.app.services.config.auth).toMatchObject({ mode: 'jwks', jwksUrl: started.jwks.url });
    return started;
  }

  const staff = { sub: 'idp-staff', role: 'staff', iss: ISSUER, aud: AUDIENCE };
  const staffQuery = (target: JwksOrderstream, token: string) =>
    post(target.app.url, STATUS_COUNTS, undefined, bearer(token));

  function expectServed(answer: HttpAnswer): void {
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(Array.isArray(answer.body.data!.orderStatusCounts)).toBe(true);
  }

  let rsa: SigningKey;
  let ec: SigningKey;
  let target: JwksOrderstream;
  beforeAll(async () => {
    [rsa, ec] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1')]);
    target = await startWithJwks([rsa, ec]);
  });
  afterAll(() => target.close());

  it('accepts RS256 and ES256 tokens signed with the published keys', async () => {
    expectServed(await staffQuery(target, await signWith(rsa, staff)));
    expectServed(await staffQuery(target, await signWith(ec, staff)));
  });

  it('reads the role from a JWKS token as from any other: a customer may not ask for orderStatusCounts', async () => {
    const customer = { sub: 'idp-customer', role: 'customer', customer_id: 'c-1', iss: ISSUER, aud: AUDIENCE };
    const answer = await staffQuery(target, await signWith(ec, customer));
    expect(answer.status).toBe(200);
    expect(codes(answer.body)).toEqual(['FORBIDDEN']);
  });

  it('refuses a token signed by a key the JWKS does not publish', async () => {
    const [unknownKid, sameKid] = await Promise.all([
      signingKey('RS256', 'rsa-unpublished'),
      signingKey('RS256', 'rsa-1'),
    ]);
    expectRefused(await staffQuery(target, await signWith(unknownKid, staff)));
    // A published key id does not make another key's signature good.
    expectRefused(await staffQuery(target, await signWith(sameKid, staff)));
  });

  it('refuses a token with the wrong issuer or audience', async () => {
    expectRefused(await staffQuery(target, await signWith(rsa, { ...staff, iss: 'https://elsewhere.test' })));
    expectRefused(await staffQuery(target, await signWith(rsa, { ...staff, aud: 'another-service' })));
  });

  it('refuses HS256, even naming a published kid and keyed with the published public key', async () => {
    expectRefused(await staffQuery(target, await hs256(staff, { kid: 'rsa-1' })));
    // Algorithm confusion: the RSA public key (which anyone can fetch) used as an HMAC secret.
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    expectRefused(await staffQuery(target, await hs256(staff, { kid: 'rsa-1', secret: pem })));
    expectRefused(await staffQuery(target, unsigned({ ...staff })));
  });

  it('follows a key rotation without a restart: a new kid is fetched, the retired key refused', async () => {
    const [before, after] = await Promise.all([signingKey('RS256', 'rotation-1'), signingKey('ES256', 'rotation-2')]);
    const rotating = await startWithJwks([before]);
    try {
      expectServed(await staffQuery(rotating, await signWith(before, staff)));
      expect(rotating.jwks.fetches).toBe(1);

      rotating.jwks.publish([after]);
      // jose refetches a key set for an unknown kid only once 30 s (its cooldown) have passed since the last
      // fetch. The server runs in this process: move its clock past the cooldown instead of waiting it out.
      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
      try {
        expectServed(await staffQuery(rotating, await signWith(after, staff)));
      } finally {
        clock.mockRestore();
      }
      expect(rotating.jwks.fetches).toBe(2);
      expectRefused(await staffQuery(rotating, await signWith(before, staff)));
    } finally {
      await rotating.close();
    }
  });
});

describe('configuration', () => {
  const PRODUCTION_MESSAGE = (() => {
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  })();

  it('refuses production without AUTH_JWT_SECRET or AUTH_JWKS_URL, naming both', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(PRODUCTION_MESSAGE).toMatch(/AUTH_JWT_SECRET/);
    expect(PRODUCTION_MESSAGE).toMatch(/AUTH_JWKS_URL/);
    expect(PRODUCTION_MESSAGE).not.toContain('\n');
  });

  it('accepts production with either AUTH_JWT_SECRET or AUTH_JWKS_URL, and refuses both', () => {
    const production = { NODE_ENV: 'production', DATA_KEY: TEST_DATA_KEY };
    expect(loadConfig({ ...production, AUTH_JWT_SECRET: TEST_JWT_SECRET }).auth.mode).toBe('secret');
    expect(loadConfig({ ...production, AUTH_JWKS_URL: 'https://idp.test/jwks.json' }).auth.mode).toBe('jwks');
    expect(() => loadConfig({ AUTH_JWT_SECRET: TEST_JWT_SECRET, AUTH_JWKS_URL: 'https://idp.test/jwks.json' })).toThrow(
      new ConfigError('Invalid environment variables AUTH_JWT_SECRET and AUTH_JWKS_URL: set one of them, not both'),
    );
  });

  it.each([
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'short' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'file:///etc/jwks.json' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'not a url' }],
    ['AUTH_MAX_TOKEN_LIFETIME', { AUTH_MAX_TOKEN_LIFETIME: '30d' }],
    ['AUTH_MAX_TOKEN_LIFETIME', { AUTH_MAX_TOKEN_LIFETIME: '59' }],
  ])('refuses a bad %s, naming it', (name, env) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid environment variable ${name}:`));
  });

  it('a production server without AUTH_* exits with that one line on stderr', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      DATA_KEY: TEST_DATA_KEY,
      DATABASE_URL: process.env.ORDERSTREAM_TEST_SERVER_URL,
      PORT: '0',
      DATA_DIR: path.join(os.tmpdir(), 'orderstream-auth-test-never-used'),
    };
    for (const name of ['AUTH_JWT_SECRET', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: path.resolve(__dirname, '../..'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'close');
    expect({ code, stderr, stdout }).toEqual({ code: 2, stderr: `${PRODUCTION_MESSAGE}\n`, stdout: '' });
  });
});
