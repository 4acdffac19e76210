import { GraphQLError } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { QueryTooComplex } from '../shared/errors';

/**
 * At most `max` operations open at once on one graphql-ws socket (subscriptions, and queries and mutations while
 * they run): each holds server memory and a share of the fan-out for as long as the client keeps it. The next one
 * fails with QUERY_TOO_COMPLEX (`extensions.limit: 'subscriptions'`) for its own id only; the socket and its other
 * operations go on. Done through the onSubscribe hook rather than in the transport, so the protocol core is kept.
 */
export function limitSubscriptionsPerSocket<P extends Record<string, unknown>, E>(
  options: ServerOptions<P, E>,
  max: number,
): ServerOptions<P, E> {
  const { onSubscribe } = options;
  return {
    ...options,
    onSubscribe: (ctx, id, payload) => {
      // graphql-ws has reserved this id in ctx.subscriptions before calling the hook, and frees it when it ends.
      const open = Object.keys(ctx.subscriptions).length;
      if (open > max) {
        const message = `This socket already has ${max} operations open, the most allowed (WS_MAX_SUBSCRIPTIONS); complete one first`;
        return [new GraphQLError(message, { originalError: new QueryTooComplex('subscriptions', max, open, message) })];
      }
      return onSubscribe?.(ctx, id, payload);
    },
  };
}
