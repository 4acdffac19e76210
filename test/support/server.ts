import { createClient, type Client as WsClient } from 'graphql-ws';
import { Pool } from 'pg';
import WebSocket from 'ws';
import { startOrderstream, type Orderstream, type StartOptions } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './database';

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
  /** POSTs one operation to /graphql with fetch. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** A graphql-ws client on the same URL. */
  ws(connectionParams?: Record<string, unknown>): WsClient;
  close(): Promise<void>;
};

/** The real server (the same composition `npm start` runs) on a free port and a database of its own. */
export async function startTestServer(
  env: Record<string, string> = {},
  options: StartOptions & { db?: TestDatabase } = {},
): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({ DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'silent', ...env });
  const app = await startOrderstream(config, createLogger(config.logLevel), options);
  const clients: WsClient[] = [];
  const sql = new Pool({ connectionString: db.url, max: 4 });
  sql.on('error', () => undefined);
  return {
    app,
    db,
    sql,
    async gql(query, variables, headers = {}) {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<any>;
    },
    ws(connectionParams) {
      const client = createClient({
        url: `${app.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      await sql.end();
      await db.drop();
    },
  };
}

/** Runs one query or mutation over graphql-ws and resolves with its single result. */
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
          result = value as GraphQLResponse<T>;
        },
        error: reject,
        complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
      },
    );
  });
}
