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

export type GraphQLClient = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => Promise<T>;

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
