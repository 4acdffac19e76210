import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { pendingMigrations } from '../db/migrate';
import type { PrismaClient } from '../db/prisma';

/** /healthz: the process is up. /readyz: the database answers and every migration is applied. */
export function healthRouter(prisma: PrismaClient, logger: Logger): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      const pending = await pendingMigrations(prisma);
      if (pending.length > 0) res.status(503).json({ status: 'migrations pending', pending });
      else res.json({ status: 'ready' });
    } catch (error) {
      // The driver's message names hosts and ports: for the log, not for whoever asks.
      logger.warn({ error: (error as Error).message }, 'readiness check: database unavailable');
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  return router;
}
