import { GraphQLError } from 'graphql';
import type { Context, ServerOptions, SubscribePayload } from 'graphql-ws';
import { QueryTooComplex } from '../shared/errors';
import type { WsLimits } from '../config';

/** What the limits need of a connection: its caller (set by authentication) and a way to close it. */
type Extra = {
  principal?: { sub: string } | null;
  socket: { close(code: number, reason: string): void };
};

/** What a socket's open operations hold, by operation id (see heldBytes). */
type Held = Map<string, number>;

/**
 * Closes a socket that would be one too many for its caller: "try again later", a code graphql-ws clients retry with
 * backoff (another of the caller's sockets may have closed by then).
 */
const TRY_AGAIN_LATER = 1013;

/**
 * What one graphql-ws socket and one caller may hold open, through graphql-ws's own hooks (the protocol core is
 * kept): each open operation holds server memory for as long as its client keeps it and takes a share of every
 * event's fan-out, so a socket, and a caller over all its sockets, may hold only so many, and only so many bytes.
 * A refused operation fails with QUERY_TOO_COMPLEX (`extensions.limit` naming the limit) for its own id only; the
 * socket and its other operations go on. A caller's sockets over its cap are closed with 1013 on connection_init.
 *
 * Counts are read from graphql-ws's `ctx.subscriptions` (it reserves an id before onSubscribe and frees it however
 * the operation ends), so nothing here has to see every way an operation can end.
 */
export function limitWsOperations<P extends Record<string, unknown>, E extends Extra>(
  options: ServerOptions<P, E>,
  limits: WsLimits,
): ServerOptions<P, E> {
  const { onConnect, onSubscribe, onClose } = options;
  const sockets = new Map<string, Set<Context<P, E>>>();
  const held = new WeakMap<Context<P, E>, Held>();
  return {
    ...options,
    onConnect: async (ctx) => {
      const permitted = await onConnect?.(ctx);
      const principal = ctx.extra.principal;
      if (permitted === false || !principal) return permitted;
      let mine = sockets.get(principal.sub);
      if (!mine) sockets.set(principal.sub, (mine = new Set()));
      if (limits.connectionsPerPrincipal > 0 && mine.size >= limits.connectionsPerPrincipal) {
        ctx.extra.socket.close(
          TRY_AGAIN_LATER,
          `This caller already has ${limits.connectionsPerPrincipal} sockets open (WS_MAX_CONNECTIONS_PER_PRINCIPAL)`,
        );
        return false;
      }
      mine.add(ctx);
      return permitted;
    },
    onClose: async (ctx, code, reason) => {
      const sub = ctx.extra.principal?.sub;
      const mine = sub === undefined ? undefined : sockets.get(sub);
      if (mine?.delete(ctx) && mine.size === 0) sockets.delete(sub!);
      await onClose?.(ctx, code, reason);
    },
    onSubscribe: async (ctx, id, payload) => {
      const open = Object.keys(ctx.subscriptions).length;
      if (open > limits.operationsPerSocket) {
        return refuse(
          'subscriptions',
          limits.operationsPerSocket,
          open,
          `This socket already has ${limits.operationsPerSocket} operations open, the most allowed (WS_MAX_SUBSCRIPTIONS); complete one first`,
        );
      }
      const sub = ctx.extra.principal?.sub;
      const mine = sub === undefined ? undefined : sockets.get(sub);
      if (mine) {
        let total = 0;
        for (const socket of mine) total += Object.keys(socket.subscriptions).length;
        if (total > limits.operationsPerPrincipal) {
          return refuse(
            'subscriptionsPerPrincipal',
            limits.operationsPerPrincipal,
            total,
            `This caller already has ${limits.operationsPerPrincipal} operations open over its sockets, the most allowed (WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL); complete one first`,
          );
        }
      }
      // The operation's own checks first (its input bounds, its query limits): they say more about what is wrong.
      const args = await onSubscribe?.(ctx, id, payload);
      if (Array.isArray(args)) return args;
      let bytes = held.get(ctx);
      if (!bytes) held.set(ctx, (bytes = new Map()));
      // An id is free again once its operation has ended: what it held then is not this operation's.
      bytes.delete(id);
      const size = payloadBytes(payload);
      const total = heldBytes(ctx, bytes) + size;
      if (total > limits.bytesPerSocket) {
        return refuse(
          'socketBytes',
          limits.bytesPerSocket,
          total,
          `This socket's open operations would hold ${total} bytes of documents and variables, more than ${limits.bytesPerSocket} (WS_MAX_SOCKET_BYTES); complete some first, or send smaller ones`,
        );
      }
      bytes.set(id, size);
      return args;
    },
  };
}

function refuse(limit: string, max: number, actual: number, message: string): readonly GraphQLError[] {
  return [new GraphQLError(message, { originalError: new QueryTooComplex(limit, max, actual, message) })];
}

/** What a socket's other open operations hold; operations that have ended since are forgotten on the way. */
function heldBytes(ctx: { subscriptions: object }, bytes: Held): number {
  let total = 0;
  for (const [id, size] of bytes) {
    if (id in ctx.subscriptions) total += size;
    else bytes.delete(id);
  }
  return total;
}

/** The document and variables as sent: what the operation's arguments and parsed document are made from. */
function payloadBytes(payload: SubscribePayload): number {
  return (
    payload.query.length +
    (payload.operationName?.length ?? 0) +
    (payload.variables ? JSON.stringify(payload.variables).length : 0) +
    (payload.extensions ? JSON.stringify(payload.extensions).length : 0)
  );
}
