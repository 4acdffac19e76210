import type { GraphQLSchema } from 'graphql';

/**
 * graphql-ws acknowledges the connection (`connection_ack`) but not a subscription: between a client's `subscribe`
 * and the first `next` there is no protocol event. A subscription without `after` starts where the log is when
 * the server creates its source stream, so a test that appends "after subscribing" must first know the server has
 * done that, and sleeping for it races on a busy machine. This watches for that moment on the server itself,
 * through the app's `schema` test seam: each Subscription field's `subscribe` is wrapped to count the source
 * streams it has created.
 *
 *   const starts = subscriptionStarts();
 *   const server = await startTestServer({}, { schema: starts.schema });
 *   const before = starts.count('events');
 *   const sub = collect(server.ws(), EVENTS, …);
 *   await starts.until('events', before + 1); // now the subscription is live: append
 */
export type SubscriptionStarts = {
  /** For `startOrderstream`'s `schema` option: the same schema, with each subscription's start counted. */
  schema(schema: GraphQLSchema): GraphQLSchema;
  /** How many subscriptions to `field` the server has started so far (its source stream created). */
  count(field: string): number;
  /** Resolves once the server has started `n` subscriptions to `field` in all. */
  until(field: string, n: number, timeoutMs?: number): Promise<void>;
};

export function subscriptionStarts(): SubscriptionStarts {
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const count = (field: string) => counts.get(field) ?? 0;
  const started = (field: string) => {
    counts.set(field, count(field) + 1);
    for (const waiter of [...waiters]) waiter();
  };
  return {
    schema(schema) {
      for (const [name, field] of Object.entries(schema.getSubscriptionType()?.getFields() ?? {})) {
        const subscribe = field.subscribe;
        if (!subscribe) continue;
        field.subscribe = (...args) => {
          const stream: unknown = subscribe(...args);
          if (typeof (stream as PromiseLike<unknown> | null)?.then === 'function') {
            (stream as PromiseLike<unknown>).then(
              () => started(name),
              () => undefined,
            );
          } else {
            started(name);
          }
          return stream;
        };
      }
      return schema;
    },
    count,
    until(field, n, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (count(field) < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`waiting for ${n} ${field} subscriptions to start: ${count(field)} started`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
