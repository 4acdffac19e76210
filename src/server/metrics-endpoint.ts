import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator';
import type { Metrics } from '../observability/metrics';
import { Unauthenticated } from '../shared/errors';
import { bearer } from './authentication';
import { logRefusal, sendRefusal, type Refusal } from './http-errors';

/**
 * GET /metrics in Prometheus' text format, for a scraper holding METRICS_TOKEN or an admin's JWT: the figures name
 * projectors, mutations and load, which are for operators only.
 */
export function metricsRouter(
  metrics: Metrics,
  auth: Authenticator,
  metricsToken: string | undefined,
  logger: Logger,
): Router {
  const router = express.Router();
  const scrapeToken = metricsToken === undefined ? undefined : Buffer.from(metricsToken);
  router.get('/metrics', async (req, res, next) => {
    try {
      const refusal = await refusalFor(bearer(req.headers.authorization));
      if (refusal) {
        logRefusal(logger, refusal, req);
        if (refusal.status === 401) res.setHeader('www-authenticate', 'Bearer');
        sendRefusal(res, refusal);
        return;
      }
      const body = await metrics.registry.metrics();
      res.setHeader('cache-control', 'no-store');
      res.type(metrics.registry.contentType).send(body);
    } catch (error) {
      next(error);
    }
  });
  return router;

  async function refusalFor(token: string | undefined | false): Promise<Refusal | undefined> {
    const unauthenticated: Refusal = {
      status: 401,
      code: 'UNAUTHENTICATED',
      message: 'Send Authorization: Bearer <METRICS_TOKEN or an admin token>',
    };
    if (!token) return unauthenticated;
    if (scrapeToken && sameSecret(scrapeToken, Buffer.from(token))) return undefined;
    try {
      const principal = await auth.verify(token);
      if (principal.role === 'admin') return undefined;
      return { status: 403, code: 'FORBIDDEN', message: 'Metrics are for admins and the metrics scraper' };
    } catch (error) {
      if (error instanceof Unauthenticated) return unauthenticated;
      throw error;
    }
  }
}

/** Constant time whatever the guess; only its length can show, and a wrong length is refused at once. */
function sameSecret(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}
