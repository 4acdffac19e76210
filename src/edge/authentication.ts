import { GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { CLOCK_TOLERANCE_S, type Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { Unauthenticated, type ErrorCode } from '../shared/errors';
import type { WsExtra } from './graphql-ws-transport';

/** The token of an `Authorization: Bearer <token>` value; undefined when there is none, false when malformed. */
export function bearer(value: unknown): string | undefined | false {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return false;
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(value.trim());
  return match ? match[1]! : false;
}

/**
 * The HTTP caller's principal: null without an Authorization header (every operation but introspection then
 * answers UNAUTHENTICATED); a bad, expired or malformed token fails the whole request with HTTP 401.
 */
export async function httpPrincipal(auth: Authenticator, header: string | undefined): Promise<Principal | null> {
  const token = bearer(header);
  if (token === undefined) return null;
  try {
    if (token === false) throw new Unauthenticated('malformed');
    return await auth.verify(token);
  } catch (error) {
    if (!(error instanceof Unauthenticated)) throw error;
    throw new GraphQLError('The token is invalid or expired: send Authorization: Bearer <a valid token>', {
      extensions: {
        code: 'UNAUTHENTICATED' satisfies ErrorCode,
        http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) },
      },
    });
  }
}

/** Node's timers overflow past 2^31 - 1 ms (about 24.8 days): a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * graphql-ws's onConnect: the connection_init payload's `authorization` is verified once, for the connection's
 * life. No token: refused with 4401 Unauthorized (graphql-ws clients do not retry it): an anonymous socket could do
 * nothing but introspect, which HTTP serves, and would otherwise hold a descriptor for as long as it liked. A bad
 * token: refused (graphql-ws closes with 4403 Forbidden). A token that expires closes the socket then, with 4401,
 * so no subscription outlives its credentials.
 */
export function wsAuthentication(auth: Authenticator) {
  return async (ctx: { connectionParams?: Readonly<Record<string, unknown>>; extra: WsExtra }): Promise<boolean> => {
    const token = bearer(ctx.connectionParams?.authorization);
    if (token === undefined) {
      ctx.extra.principal = null;
      // graphql-ws would close with 4403 on `false`; the first close wins.
      ctx.extra.socket.close(
        CloseCode.Unauthorized,
        'Unauthorized: send connection_init with { "authorization": "Bearer <token>" }',
      );
      return false;
    }
    if (token === false) return false;
    let principal: Principal;
    try {
      principal = await auth.verify(token);
    } catch (error) {
      // Another failure (the key set unavailable) is the server's: graphql-ws closes with 4500.
      if (error instanceof Unauthenticated) return false;
      throw error;
    }
    // The socket may have closed while the token was checked (a slow key set): its close has passed, and a timer
    // armed now would never be cleared.
    if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
    ctx.extra.principal = principal;
    // As HTTP does, with the same tolerance for the issuer's clock.
    if (principal.expiresAt !== null) closeAtExpiry(ctx.extra, principal.expiresAt + CLOCK_TOLERANCE_S * 1000);
    return true;
  };
}

function closeAtExpiry(extra: WsExtra, expiresAt: number): void {
  const { socket } = extra;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt - Date.now();
    timer =
      left > MAX_TIMER_MS
        ? setTimeout(arm, MAX_TIMER_MS)
        : setTimeout(() => socket.close(CloseCode.Unauthorized, 'Token expired'), Math.max(0, left));
  };
  arm();
  socket.once('close', () => clearTimeout(timer));
}
