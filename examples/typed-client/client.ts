import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import type { ErrorCode } from './gql/enums';

/** Operation variables as graphql-ws and JSON take them; every generated `…Variables` type is one. */
type Variables = Record<string, unknown>;

/** The operation answered with errors; `codes` (their `extensions.code`) say why: README, "Errors". */
export class GraphQLRequestError extends Error {
  /** One per error: the schema lists every code the server sends as `enum ErrorCode`. */
  readonly codes: readonly ErrorCode[];
  constructor(readonly errors: readonly GraphQLFormattedError[]) {
    super(errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; '));
    this.name = 'GraphQLRequestError';
    this.codes = errors.map((e) => e.extensions?.code as ErrorCode);
  }
}

/** The data of a result, or the result's errors thrown. */
function dataOf<TResult>(result: FormattedExecutionResult<TResult, unknown>): TResult {
  if (result.errors?.length) throw new GraphQLRequestError(result.errors);
  if (result.data === undefined || result.data === null) throw new Error('The server answered without data');
  return result.data;
}

export type Request = <TResult, TVariables extends Variables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
) => Promise<TResult>;

/** Queries and mutations over HTTP: a POST of the document's text, with the token in the Authorization header. */
export function httpClient(url: string, token: string): Request {
  return async function request<TResult, TVariables extends Variables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(document), variables }),
    });
    // The one place the document's type meets the wire: the server answers a document that validates against
    // schema.graphql in that document's shape, which is what the generated type describes.
    const result = (await response.json()) as FormattedExecutionResult<TResult, unknown>;
    return dataOf(result);
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isCloseEvent(value: unknown): value is { code: number } {
  return typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';
}

/**
 * A graphql-ws client on the same URL (ws:// for http://, wss:// for https://). `extra` adds or overrides
 * options, e.g. `on` listeners.
 */
export function wsClient(url: string, token: string, extra: Partial<ClientOptions> = {}): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    // Node 20 has no WebSocket global (Node 22 has one); browsers need no option.
    webSocketImpl: WebSocket,
    // Read once per connection, each reconnect included.
    connectionParams: { authorization: `Bearer ${token}` },
    // A server that restarts, or a deploy that closes sockets with 1001 (going away), is reconnected to with
    // backoff, and the client subscribes again: `orderChanged` then sends the order as it stands, so no change
    // is lost across the gap. About a minute of attempts, then the subscription fails.
    retryAttempts: 10,
    retryWait: (retries) => sleep(Math.min(10_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2)),
    // graphql-ws's default retries close events only, but a server that is down refuses the connection, which
    // arrives as an error event: retry both. Not 4403: the server refused the token, and would refuse it again.
    // (graphql-ws itself never retries 4401, an expired token, nor protocol errors.)
    shouldRetry: (errorOrCloseEvent) => !(isCloseEvent(errorOrCloseEvent) && errorOrCloseEvent.code === 4403),
    ...extra,
  });
}

/** A subscription's results as an async iterator of their data; leaving the loop ends the subscription. */
export async function* subscribe<TResult, TVariables extends Variables>(
  client: Client,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): AsyncGenerator<TResult> {
  for await (const result of client.iterate<TResult>({ query: print(document), variables })) {
    yield dataOf(result);
  }
}
