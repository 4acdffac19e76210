import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator';
import type { Metrics } from '../observability/metrics';
import { logRefusal, sendRefusal, type Refusal } from './http-errors';
import { operatorAccess } from './operator-access';

const UNAUTHENTICATED: Refusal = {
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'Send Authorization: Bearer <METRICS_TOKEN or an admin token>',
};
const FORBIDDEN: Refusal = {
  status: 403,
  code: 'FORBIDDEN',
  message: 'Metrics are for admins and the metrics scraper',
};

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
  const standing = operatorAccess(auth, metricsToken);
  router.get('/metrics', async (req, res, next) => {
    try {
      const caller = await standing(req.headers.authorization);
      if (caller !== 'operator') {
        const refusal = caller === 'forbidden' ? FORBIDDEN : UNAUTHENTICATED;
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
}
