import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { pendingMigrations } from '../db/migrate';
import type { PrismaClient } from '../db/prisma';
import type { ReactorRunner } from '../reactions/runner';
import type { Relay } from '../relay/relay';
import type { Scheduler } from '../scheduling/scheduler';
import type { Services } from '../services';
import { operatorAccess } from './operator-access';

/**
 * /healthz: the process is up. /readyz: the database answers, every migration is applied, and the process is not
 * shutting down (from the signal on it answers 503 `draining`, while still serving: drain.ts). A probe needs no
 * token and learns only that: the status code, and `ready` or `not ready`. Why not, which migrations, and the
 * relay's, the reactors' and the scheduler's state and last error (which may name a broker's host) are for operators:
 * METRICS_TOKEN or an admin's JWT.
 */
export function healthRouter(
  services: Pick<Services, 'prisma' | 'relay' | 'reactors' | 'scheduler' | 'auth' | 'config'>,
  drain: { readonly draining: boolean },
  logger: Logger,
): Router {
  const standing = operatorAccess(services.auth, services.config.metricsToken);
  const isOperator = async (authorization: string | undefined) => {
    if (authorization === undefined) return false;
    try {
      return (await standing(authorization)) === 'operator';
    } catch (error) {
      // The key set could not be fetched: readiness is still answered, without the details.
      logger.warn({ err: error }, 'readiness check: could not check the token');
      return false;
    }
  };
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (drain.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const { ready, body } = await readiness(services, logger, {
      details: await isOperator(req.headers.authorization),
    });
    res.status(ready ? 200 : 503).json(body);
  });
  return router;
}

async function readiness(
  {
    prisma,
    relay,
    reactors,
    scheduler,
  }: { prisma: PrismaClient; relay?: Relay; reactors: ReactorRunner; scheduler: Scheduler },
  logger: Logger,
  { details }: { details: boolean },
): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  try {
    const pending = await pendingMigrations(prisma);
    const ready = pending.length === 0;
    if (!details) return { ready, body: { status: ready ? 'ready' : 'not ready' } };
    // The relay is reported, not required: a broker outage pauses publishing, never the API.
    // So are the reactors and the scheduler: one that retries holds back its rule's commands, not the API.
    const processors = {
      ...(relay ? { relay: await relayDetails(relay) } : {}),
      reactors: await reactorDetails(reactors),
      scheduler: await scheduler.report(),
    };
    return {
      ready,
      body: ready ? { status: 'ready', ...processors } : { status: 'migrations pending', pending, ...processors },
    };
  } catch (error) {
    // The driver's message names hosts and ports: for the log, not for whoever asks.
    logger.warn({ error: (error as Error).message }, 'readiness check: database unavailable');
    return { ready: false, body: { status: details ? 'database unavailable' : 'not ready' } };
  }
}

async function relayDetails(relay: Relay) {
  const { name, state, lag, lastError, position } = await relay.report();
  return { name, state, lag, lastError, position: position.toString() };
}

async function reactorDetails(reactors: ReactorRunner) {
  return (await reactors.report()).map(({ name, state, lag, lastError, position }) => ({
    name,
    state,
    lag,
    lastError,
    position: position.toString(),
  }));
}
