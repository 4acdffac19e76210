import express, { type Router } from 'express';
import type { Pool } from 'pg';
import { pendingMigrations } from '../db/migrate';

/** /healthz: the process is up. /readyz: the database answers and every migration is applied. */
export function healthRouter(pool: Pool): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      const pending = await pendingMigrations((sql) => pool.query(sql));
      if (pending.length > 0) res.status(503).json({ status: 'migrations pending', pending });
      else res.json({ status: 'ready' });
    } catch (error) {
      res.status(503).json({ status: 'database unavailable', error: (error as Error).message });
    }
  });
  return router;
}
