import type { FormattedExecutionResult } from 'graphql';
import type { Client, Sink, SubscribePayload } from 'graphql-ws';

/**
 * The cursor of the event a subscription result carries (the `cursor` field its single root field selects), if any.
 * `events` results carry one; read-model subscriptions (`orderChanged`, …) do not, and need none: they start from
 * the row as it stands.
 */
function cursorOf(result: FormattedExecutionResult<unknown, unknown>): string | undefined {
  const data = result.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const [root] = Object.values(data);
  const cursor = typeof root === 'object' && root !== null ? (root as { cursor?: unknown }).cursor : undefined;
  return typeof cursor === 'string' ? cursor : undefined;
}

/**
 * A graphql-ws subscription that resumes after a reconnect from the last event it delivered, not from the `after`
 * it started with. graphql-ws subscribes again on every reconnect by sending the payload object it was given;
 * this keeps that object's `variables.after` at the cursor of the last result delivered (select `cursor` for it),
 * so the server's `events(after:)`, gap-free from any cursor, sends what came after it once: none twice, none lost.
 * Returns the unsubscribe function, as `client.subscribe` does.
 */
export function subscribeResuming<Data>(
  client: Client,
  payload: SubscribePayload,
  sink: Sink<FormattedExecutionResult<Data, unknown>>,
): () => void {
  const resumable: { -readonly [K in keyof SubscribePayload]: SubscribePayload[K] } = {
    ...payload,
    variables: { ...payload.variables },
  };
  return client.subscribe<Data>(resumable, {
    next(result) {
      const cursor = cursorOf(result);
      if (cursor !== undefined) resumable.variables = { ...resumable.variables, after: cursor };
      sink.next(result);
    },
    error: (error) => sink.error(error),
    complete: () => sink.complete(),
  });
}
