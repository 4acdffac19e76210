import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client as WsClient, type Sink, type SubscribePayload } from 'graphql-ws';
import { Pool } from 'pg';
import WebSocket from 'ws';
import { startOrderstream, type Orderstream, type StartOptions } from '../../src/app';
import type { Role } from '../../src/auth/principal';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './database';
import { expectListedCodes, unlistedCodes, unlistedError } from './error-codes';

export type GraphQLResponse<T = Record<string, any>> = {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
  extensions?: Record<string, any>;
};

export type TestServer = {
  app: Orderstream;
  db: TestDatabase;
  /** The test's own connections to the server's database, for looking at (or tampering with) tables directly. */
  sql: Pool;
  /**
   * POSTs one operation to /graphql with fetch, as an admin unless `headers` carries its own `authorization`
   * (an empty one sends none: an anonymous caller). The response less its `extensions.cost` (withoutCost). Throws if
   * an error's code or rule is not in the schema's enums.
   */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** `gql`, expecting no errors: the response's data. */
  ok(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<Record<string, any>>;
  /**
   * A graphql-ws client on the same URL, as an admin unless `connectionParams` say otherwise. Every error its
   * operations receive is checked against the schema's enums; `close()` throws if one was not listed.
   */
  ws(connectionParams?: Record<string, unknown>): WsClient;
  /** A token signed with the server's secret; `expiresIn` as jose takes it ('1h', '2s', …). */
  token(claims: { role: Role; customerId?: string; sub?: string; expiresIn?: string }): Promise<string>;
  /** `{ authorization: 'Bearer <token>' }` for those claims: for `gql`'s headers or `ws`'s connectionParams. */
  as(claims: { role: Role; customerId?: string; sub?: string }): Promise<{ authorization: string }>;
  close(): Promise<void>;
};

/** The real server (the same composition `npm start` runs) on a free port and a database of its own. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: StartOptions & { db?: TestDatabase } = {},
): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    DATA_KEY: TEST_DATA_KEY,
    ...env,
  });
  const app = await startOrderstream(config, createLogger(config.logLevel), options);
  const clients: WsClient[] = [];
  // What ws clients received that the schema's enums do not list: reported by close(), since a sink's callback
  // runs inside graphql-ws's message handler, where a throw would not reach the test.
  const unlisted: string[] = [];
  const token: TestServer['token'] = ({ role, customerId, sub = `test-${role}`, expiresIn = '1h' }) =>
    app.services.auth.mint!({ sub, role, customerId, expiresIn });
  // Minted when first needed: a server checking tokens against a JWKS URL has no secret to sign with.
  let admin: string | undefined;
  const adminAuthorization = async () => (admin ??= `Bearer ${await token({ role: 'admin' })}`);
  const sql = new Pool({ connectionString: db.url, max: 4 });
  sql.on('error', () => undefined);
  const gql: TestServer['gql'] = async (query, variables, headers = {}) => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: withoutEmpty({
        'content-type': 'application/json',
        ...('authorization' in headers ? {} : { authorization: await adminAuthorization() }),
        ...headers,
      }),
      body: JSON.stringify({ query, variables }),
    });
    const body = withoutCost((await res.json()) as GraphQLResponse<any>);
    expectListedCodes(body.errors);
    return body;
  };
  return {
    app,
    db,
    sql,
    gql,
    async ok(query, variables, headers) {
      const res = await gql(query, variables, headers);
      expect(res.errors).toBeUndefined();
      return res.data!;
    },
    ws(connectionParams) {
      const client = createClient({
        url: `${app.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: connectionParams ?? (async () => ({ authorization: await adminAuthorization() })),
        retryAttempts: 0,
      });
      clients.push(client);
      return checkingCodes(client, unlisted);
    },
    token,
    as: async (claims) => ({ authorization: `Bearer ${await token(claims)}` }),
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      await sql.end();
      await db.drop();
      if (unlisted.length > 0) throw new Error(`ws clients received what schema.graphql does not list: ${unlisted}`);
    },
  };
}

/** The secret every test server signs and checks tokens with (HS256 wants at least 32 bytes). */
export const TEST_JWT_SECRET = 'orderstream-test-secret-0123456789abcdef';

/** The master key of test servers (DATA_KEY), rather than a development key written into the worktree. */
export const TEST_DATA_KEY = Buffer.alloc(32, 7).toString('base64');

/** The client, its operations' errors (results' and `error` messages') recorded when the schema does not list them. */
function checkingCodes(client: WsClient, unlisted: string[]): WsClient {
  return {
    ...client,
    subscribe: <Data, Extensions>(payload: SubscribePayload, sink: Sink<FormattedExecutionResult<Data, Extensions>>) =>
      client.subscribe<Data, Extensions>(payload, {
        next: (result) => {
          unlisted.push(...unlistedCodes(result.errors));
          sink.next(result);
        },
        error: (error) => {
          unlisted.push(...unlistedCodes(error));
          sink.error(error);
        },
        complete: () => sink.complete(),
      }),
  };
}

function withoutEmpty(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ''));
}

/**
 * A response without the `extensions.cost` every query and mutation carries (test/e2e/query-cost.test.ts holds it
 * there), so that tests state the data, errors and warnings they are about; `extensions` goes when nothing else
 * is in it.
 */
export function withoutCost<T>(response: GraphQLResponse<T>): GraphQLResponse<T> {
  if (response.extensions?.cost === undefined) return response;
  const { cost: _cost, ...extensions } = response.extensions;
  const { extensions: _all, ...rest } = response;
  return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
}

/** Runs one query or mutation over graphql-ws and resolves with its single result, less its `extensions.cost`. */
export function wsRequest<T = Record<string, any>>(
  client: WsClient,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  return new Promise((resolve, reject) => {
    let result: GraphQLResponse<T> | undefined;
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          result = withoutCost(value as GraphQLResponse<T>);
        },
        error: (error) => reject(unlistedError(error) ?? error),
        complete: () => {
          if (!result) return reject(new Error('completed without a result'));
          const unlisted = unlistedError(result.errors);
          return unlisted ? reject(unlisted) : resolve(result);
        },
      },
    );
  });
}
