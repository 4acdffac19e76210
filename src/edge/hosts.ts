import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { logRefusal, sendRefusal, type Refusal } from './http-errors';

/** Whether a request's Host header names this server. */
export type HostPolicy = (host: string | undefined) => boolean;

const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?$/i;
const LOOPBACK_LISTEN = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/i;

/**
 * DNS rebinding: a page from attacker.example whose name is then pointed at 127.0.0.1 shares its origin with the
 * service, so CORS and the WebSocket Origin check both let it in. What gives it away is the Host header, which
 * names the attacker's host. `configured` is ALLOWED_HOSTS split: host names (a port is ignored), or `*` for any.
 * Undefined: a service listening on loopback only (the default) answers only to loopback names; one listening on
 * another interface (behind a proxy, in a container) answers to any name unless the list is set.
 */
export function hostPolicy(configured: readonly string[] | undefined, listenHost: string): HostPolicy {
  if (configured === undefined) {
    if (!LOOPBACK_LISTEN.test(listenHost)) return () => true;
    return (host) => host === undefined || LOOPBACK_HOST.test(host);
  }
  if (configured.includes('*')) return () => true;
  const allowed = new Set(configured.map((h) => withoutPort(h.toLowerCase())));
  return (host) => host === undefined || LOOPBACK_HOST.test(host) || allowed.has(withoutPort(host.toLowerCase()));
}

function withoutPort(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
}

export const HOST_REFUSAL: Refusal = {
  status: 403,
  code: 'FORBIDDEN',
  message: 'This server does not answer to that Host name (see ALLOWED_HOSTS)',
};

/** First in the chain: a request for another host name gets nothing but this refusal. */
export function requireKnownHost(allowed: HostPolicy, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (allowed(req.headers.host)) return next();
    logRefusal(logger, HOST_REFUSAL, req, { reason: `host ${req.headers.host?.slice(0, 200)}` });
    sendRefusal(res, HOST_REFUSAL);
  };
}
