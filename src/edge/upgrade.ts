import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import { logRefusal, refuseOnSocket, type Refusal } from './http-errors';
import { HOST_REFUSAL, type HostPolicy } from './hosts';
import type { OriginPolicy } from './origins';

/**
 * Routes the HTTP server's WebSocket upgrades to `wss` (created with `noServer`): only at `path`, only from an
 * admitted browser origin, and at most `maxPerAddress` open at once from one peer address (0: no cap; behind a
 * proxy every client shares its address). Browsers do not apply CORS to WebSockets, so without this check any page open in a
 * browser on the same machine could drive the service. A request without an Origin is not from a browser page
 * (servers, scripts, the tests) and is let through. Every refusal is JSON, as on HTTP.
 */
export function routeUpgrades(
  server: http.Server,
  wss: WebSocketServer,
  {
    path,
    originAllowed,
    hostAllowed,
    maxPerAddress,
    logger,
  }: { path: string; originAllowed: OriginPolicy; hostAllowed: HostPolicy; maxPerAddress: number; logger: Logger },
): void {
  const open = new Map<string, number>();
  const refuse = (req: http.IncomingMessage, socket: Duplex, refusal: Refusal, reason?: string) => {
    logRefusal(logger, refusal, req, { reason });
    refuseOnSocket(socket, refusal);
  };
  // ws answers a malformed handshake itself (text/html) unless this event has a listener.
  wss.on('wsClientError', (error, socket, req) =>
    refuse(req, socket, { status: 400, code: 'BAD_REQUEST', message: error.message }, 'bad WebSocket handshake'),
  );
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.split('?')[0] !== path) {
      return refuse(req, socket, { status: 404, code: 'NOT_FOUND', message: `WebSockets are served at ${path} only` });
    }
    if (!hostAllowed(req.headers.host)) {
      return refuse(req, socket, HOST_REFUSAL, `host ${req.headers.host?.slice(0, 200)}`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin) && !sameOrigin(origin, req.headers.host)) {
      return refuse(
        req,
        socket,
        {
          status: 403,
          code: 'FORBIDDEN',
          message: 'This Origin may not open a WebSocket to this server (see CORS_ORIGINS)',
        },
        `origin ${origin.slice(0, 200)}`,
      );
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    if (maxPerAddress > 0 && count >= maxPerAddress) {
      return refuse(
        req,
        socket,
        {
          status: 429,
          code: 'RATE_LIMITED',
          message: `This address already has ${maxPerAddress} WebSockets open (WS_MAX_CONNECTIONS_PER_ADDRESS); close one first`,
          extensions: { limit: 'connectionsPerAddress', max: maxPerAddress, retryAfterMs: 1000 },
        },
        `address ${address}`,
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.set(address, (open.get(address) ?? 0) + 1);
      ws.once('close', () => {
        const left = open.get(address)! - 1;
        if (left === 0) open.delete(address);
        else open.set(address, left);
      });
      wss.emit('connection', ws, req);
    });
  });
}

/**
 * A page this server served (the IDE, the live page) may always connect back, whatever address it was reached at.
 * This admits nothing more than HTTP already does: a page that shares the origin needs no CORS to call /graphql.
 * (The Host it is compared with has passed the host check, so a rebound name cannot pose as this server.)
 */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const lower = origin.toLowerCase();
  const target = host.toLowerCase();
  return lower === `http://${target}` || lower === `https://${target}`;
}
