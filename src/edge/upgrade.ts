import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import { logRefusal, refuseOnSocket, type HttpErrorCode, type Refusal } from './http-errors';
import { HOST_REFUSAL, type HostPolicy } from './hosts';
import type { OriginPolicy } from './origins';

/** Why an upgrade is refused: the JSON refusal, and what the log line adds. */
export type UpgradeRefusal = { refusal: Refusal; reason?: string };

/**
 * One admission step of a WebSocket upgrade: a refusal, or undefined to let it on. A step that counts sockets is
 * told of each one it let on (`admitted`), once the handshake is done.
 */
export type UpgradeCheck = {
  check(req: http.IncomingMessage): UpgradeRefusal | undefined;
  admitted?(req: http.IncomingMessage, socket: WebSocket): void;
};

/**
 * Routes the HTTP server's WebSocket upgrades to `wss` (created with `noServer`) through `checks`, in their order
 * (src/edge/pipeline.ts states it). Every refusal is JSON, as on HTTP.
 */
export function routeUpgrades(
  server: http.Server,
  wss: WebSocketServer,
  checks: readonly UpgradeCheck[],
  logger: Logger,
  refused: (code: HttpErrorCode) => void,
): void {
  const refuse = (req: http.IncomingMessage, socket: Duplex, { refusal, reason }: UpgradeRefusal) => {
    logRefusal(logger, refusal, req, { reason });
    refused(refusal.code);
    refuseOnSocket(socket, refusal);
  };
  // ws answers a malformed handshake itself (text/html) unless this event has a listener.
  wss.on('wsClientError', (error, socket, req) =>
    refuse(req, socket, {
      refusal: { status: 400, code: 'BAD_REQUEST', message: error.message },
      reason: 'bad WebSocket handshake',
    }),
  );
  server.on('upgrade', (req, socket, head) => {
    for (const step of checks) {
      const refused = step.check(req);
      if (refused) return refuse(req, socket, refused);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      for (const step of checks) step.admitted?.(req, ws);
      wss.emit('connection', ws, req);
    });
  });
}

/** WebSockets are served at `path` only. */
export function upgradePath(path: string): UpgradeCheck {
  return {
    check: (req) =>
      req.url?.split('?')[0] === path
        ? undefined
        : { refusal: { status: 404, code: 'NOT_FOUND', message: `WebSockets are served at ${path} only` } },
  };
}

/** The Host header names this server (see hosts.ts). */
export function upgradeHost(hostAllowed: HostPolicy): UpgradeCheck {
  return {
    check: (req) =>
      hostAllowed(req.headers.host)
        ? undefined
        : { refusal: HOST_REFUSAL, reason: `host ${req.headers.host?.slice(0, 200)}` },
  };
}

/**
 * Only from an admitted browser origin: browsers do not apply CORS to WebSockets, so without this check any page
 * open in a browser on the same machine could drive the service. A request without an Origin is not from a
 * browser page (servers, scripts, the tests) and is let through.
 */
export function upgradeOrigin(originAllowed: OriginPolicy): UpgradeCheck {
  return {
    check: (req) => {
      const origin = req.headers.origin;
      if (origin === undefined || originAllowed(origin) || sameOrigin(origin, req.headers.host)) return undefined;
      return {
        refusal: {
          status: 403,
          code: 'FORBIDDEN',
          message: 'This Origin may not open a WebSocket to this server (see CORS_ORIGINS)',
        },
        reason: `origin ${origin.slice(0, 200)}`,
      };
    },
  };
}

/** At most `max` sockets open at once from one peer address (0: no cap; behind a proxy every client shares its). */
export function socketsPerAddress(max: number): UpgradeCheck {
  const open = new Map<string, number>();
  const addressOf = (req: http.IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  return {
    check(req) {
      const address = addressOf(req);
      if (max <= 0 || (open.get(address) ?? 0) < max) return undefined;
      return {
        refusal: {
          status: 429,
          code: 'RATE_LIMITED',
          message: `This address already has ${max} WebSockets open (WS_MAX_CONNECTIONS_PER_ADDRESS); close one first`,
          extensions: { limit: 'connectionsPerAddress', max, retryAfterMs: 1000 },
        },
        reason: `address ${address}`,
      };
    },
    admitted(req, socket) {
      const address = addressOf(req);
      open.set(address, (open.get(address) ?? 0) + 1);
      socket.once('close', () => {
        const left = open.get(address)! - 1;
        if (left === 0) open.delete(address);
        else open.set(address, left);
      });
    },
  };
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
