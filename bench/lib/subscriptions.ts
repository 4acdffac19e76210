import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A graphql-ws client as an application would open one (`createClient` with the `ws` implementation), except that
 * it never reconnects by itself: a dropped connection must show up as an error in the benchmark, not be papered
 * over by a silent resubscribe.
 */
export function wsClient(url: string, authorization: string): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization },
  });
}

export type Subscription = {
  /** Messages with data received. */
  readonly count: number;
  /** Errors: `errors` in a message, a transport error, or a completion the benchmark did not ask for. */
  readonly errors: string[];
  stop(): void;
};

/** Subscribes and hands each message's data to `onData` as it arrives, with its arrival time (performance.now()). */
export function subscribe<T>(
  client: Client,
  query: string,
  onData: (data: T, receivedAt: number) => void,
  variables?: Record<string, unknown>,
): Subscription {
  let count = 0;
  let stopped = false;
  const errors: string[] = [];
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (result: ExecutionResult<T>) => {
        const receivedAt = performance.now();
        if (result.errors?.length) errors.push(...result.errors.map((e) => e.message));
        if (result.data) {
          count++;
          onData(result.data, receivedAt);
        }
      },
      error: (error: unknown) => {
        errors.push(describeError(error));
      },
      complete: () => {
        if (!stopped) errors.push('the server completed the subscription');
      },
    },
  );
  return {
    get count() {
      return count;
    },
    errors,
    stop() {
      stopped = true;
      stop();
    },
  };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  // A CloseEvent-like object from the socket.
  const close = error as { code?: number; reason?: string };
  if (typeof close?.code === 'number')
    return `connection closed (${close.code}${close.reason ? ` ${close.reason}` : ''})`;
  return String(error);
}
