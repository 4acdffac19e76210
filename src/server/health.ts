import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { pendingMigrations } from '../db/migrate';
import type { PrismaClient } from '../db/prisma';
import type { Relay } from '../relay/relay';

/** /healthz: the process is up. /readyz: the database answers and every migration is applied. */
export function healthRouter(prisma: PrismaClient, logger: Logger, relay?: Relay): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      const pending = await pendingMigrations(prisma);
      // The relay is reported, not required: a broker outage pauses publishing, never the API.
      const details = relay ? { relay: await relayDetails(relay) } : {};
      if (pending.length > 0) res.status(503).json({ status: 'migrations pending', pending, ...details });
      else res.json({ status: 'ready', ...details });
    } catch (error) {
      // The driver's message names hosts and ports: for the log, not for whoever asks.
      logger.warn({ error: (error as Error).message }, 'readiness check: database unavailable');
      res.status(503).json({ status: 'database unavailable' });
    }
  });
  return router;
}

async function relayDetails(relay: Relay) {
  const { name, state, lag, lastError, position } = await relay.report();
  return { name, state, lag, lastError, position: position.toString() };
}
