import http from 'node:http';
/**
 * A tiny GraphQL-over-HTTP client on the global fetch (undici: keep-alive connections, reused once a response body
 * has been read). It throws on transport failures and on any `errors` in the response.
 */

export type GraphQLErrorBody = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> };

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errors: GraphQLErrorBody[] = [],
  ) {
    super(message);
  }

  /** The first error's extensions.code, when the server sent one. */
  get code(): string | undefined {
    const code = this.errors[0]?.extensions?.code;
    return typeof code === 'string' ? code : undefined;
  }
}

export type GraphQLClient = <T = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
) => Promise<T>;

export function graphqlClient(endpoint: string, headers: Record<string, string> = {}): GraphQLClient {
  const requestHeaders = { 'content-type': 'application/json', accept: 'application/json', ...headers };
  return async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: requestHeaders,
      body: JSON.stringify(variables ? { query, variables } : { query }),
    });
    const text = await response.text();
    let body: { data?: T | null; errors?: GraphQLErrorBody[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new GraphQLRequestError(`HTTP ${response.status}: ${text.slice(0, 200)}`, response.status);
    }
    if (body.errors?.length) {
      const first = body.errors[0]!;
      const code = first.extensions?.code;
      throw new GraphQLRequestError(
        `${typeof code === 'string' ? `${code}: ` : ''}${first.message}`,
        response.status,
        body.errors,
      );
    }
    if (!response.ok || body.data === undefined || body.data === null) {
      throw new GraphQLRequestError(`HTTP ${response.status} without data`, response.status);
    }
    return body.data;
  };
}

/**
 * The same client on node:http with a bounded keep-alive pool: at most `maxSockets` connections, requests beyond
 * that wait in the pool's queue (in this process). For open-loop load: `fetch` opens a new connection for every
 * request while all others are busy, so an overloaded server would face thousands of simultaneous connection
 * attempts (its accept queue overflows and connects time out), which is the load generator's doing, not a load a
 * server sees from a client pool. Time spent waiting in the queue counts in the round trip measured by the caller.
 */
export function pooledGraphqlClient(
  endpoint: string,
  headers: Record<string, string> = {},
  maxSockets = 64,
): GraphQLClient & { close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(endpoint);
  const client = <T>(query: string, variables?: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const body = JSON.stringify(variables ? { query, variables } : { query });
      const request = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: { data?: T | null; errors?: GraphQLErrorBody[] };
            try {
              parsed = JSON.parse(text) as typeof parsed;
            } catch {
              reject(new GraphQLRequestError(`HTTP ${status}: ${text.slice(0, 200)}`, status));
              return;
            }
            if (parsed.errors?.length) {
              const first = parsed.errors[0]!;
              const code = first.extensions?.code;
              reject(
                new GraphQLRequestError(
                  `${typeof code === 'string' ? `${code}: ` : ''}${first.message}`,
                  status,
                  parsed.errors,
                ),
              );
            } else if (status < 200 || status >= 300 || parsed.data === undefined || parsed.data === null) {
              reject(new GraphQLRequestError(`HTTP ${status} without data`, status));
            } else {
              resolve(parsed.data);
            }
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  return Object.assign(client, { close: () => agent.destroy() });
}
