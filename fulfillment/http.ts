import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Probes = {
  /** Consuming, and the inbox database answers. */
  ready(): Promise<boolean>;
  registry: Registry;
  /** METRICS_TOKEN: when set, GET /metrics wants it as a bearer token. */
  metricsToken: string | undefined;
};

export type ProbeServer = { url: string; close(): Promise<void> };

/**
 * GET /healthz (the process is up), /readyz (it is consuming and its inbox database answers; 503 otherwise, and
 * from the moment it starts stopping) and /metrics (Prometheus' text format): all the service serves, on a port of
 * its own, for its orchestrator and its scraper. Nothing else is answered but 404.
 */
export async function startProbeServer(host: string, port: number, probes: Probes): Promise<ProbeServer> {
  const server = http.createServer((req, res) => {
    void answer(req, res, probes).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse, probes: Probes): Promise<void> {
  const path = req.url?.split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { status: 'method not allowed' });
  if (path === '/healthz') return json(res, 200, { status: 'ok' });
  if (path === '/readyz') {
    const ready = await probes.ready();
    return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
  }
  if (path === '/metrics') {
    if (probes.metricsToken !== undefined && !bearerIs(req.headers.authorization, probes.metricsToken)) {
      res.setHeader('www-authenticate', 'Bearer');
      return json(res, 401, { status: 'send Authorization: Bearer <METRICS_TOKEN>' });
    }
    const body = await probes.registry.metrics();
    res.writeHead(200, { 'content-type': probes.registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
    return;
  }
  json(res, 404, { status: 'not found' });
}

function json(res: http.ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function bearerIs(authorization: string | undefined, token: string): boolean {
  const sent = Buffer.from(authorization ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  return sent.length === wanted.length && timingSafeEqual(sent, wanted);
}
