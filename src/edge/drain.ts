import type http from 'node:http';

/**
 * The HTTP side of a shutdown that load balancers see. Once it begins, `/readyz` answers 503 (health.ts asks
 * `draining`) while the server goes on listening and serving, so that a balancer still sending requests here has
 * them answered rather than refused; responses then ask their clients to close the connection. When no request is
 * in flight, or the grace period has run out, the server stops listening and closes its idle connections; what is
 * still in flight at the deadline is cut.
 *
 * In place of Apollo Server's drain plugin, which counts requests per socket the same way but stops listening at
 * once: one listener per request either way.
 */
export class Drain {
  draining = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;

  constructor(private readonly server: http.Server) {
    server.on('request', (_req, res) => {
      if (this.draining) res.shouldKeepAlive = false;
      this.inFlight++;
      res.once('close', this.done);
    });
  }

  private readonly done = () => {
    if (--this.inFlight === 0) this.idle?.();
  };

  /**
   * Resolves once the server has stopped listening and every request has ended: true if each finished within
   * `graceMs`, false if some were cut. Upgraded sockets (graphql-ws) are not its to close.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.draining = true;
    const deadline = AbortSignal.timeout(graceMs);
    const settled = () =>
      new Promise<void>((resolve) => {
        if (this.inFlight === 0 || deadline.aborted) return resolve();
        const finish = () => {
          this.idle = undefined;
          deadline.removeEventListener('abort', finish);
          resolve();
        };
        this.idle = finish;
        deadline.addEventListener('abort', finish);
      });
    await settled();
    this.server.close();
    this.server.closeIdleConnections();
    // A request may have arrived on a kept-alive connection between the last one ending and the close.
    await settled();
    const graceful = this.inFlight === 0;
    if (!graceful) this.server.closeAllConnections();
    return graceful;
  }
}
