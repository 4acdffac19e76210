import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DATA_DIR: z.string().min(1).default(path.resolve(process.cwd(), '.data')),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
  COMMAND_RETRIES: z.coerce.number().int().min(0).max(50).default(10),
  SNAPSHOT_EVERY: z.coerce.number().int().min(0).default(100),
  READ_MODEL_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  PROJECTION_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  REBUILD_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(5000),
  SUBSCRIPTION_BUFFER: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  SUBSCRIPTION_WINDOW: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
});

export type Config = Readonly<{
  port: number;
  host: string;
  /** Unset: an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  dataDir: string;
  poolSize: number;
  /** How often a command without `expectedVersion` is re-read and re-decided after losing a race. */
  commandRetries: number;
  /** Snapshot an aggregate every this many events, so loading folds only the events after it (0: never). */
  snapshotEvery: number;
  /** How long a mutation waits for the projectors to pass its events before answering from the stream. */
  readModelWaitMs: number;
  projectionBatchSize: number;
  /** How often an idle projector looks at the log when no wake-up came. */
  projectionPollMs: number;
  rebuildBatchSize: number;
  /** Orders with undelivered changes an orderChanged/ordersChanged subscription may have before it is ended as too slow. */
  subscriptionBuffer: number;
  /** Recent events kept in memory for `events` subscribers (within a byte cap); one further behind reads from the database. */
  subscriptionWindow: number;
  /** WebSocket ping interval; a connection that misses a pong in that time is closed. */
  wsKeepAliveMs: number;
}>;

export class ConfigError extends Error {}

/** Reads the environment once; a bad value throws one line that names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    dataDir: path.resolve(e.DATA_DIR),
    poolSize: e.DB_POOL_SIZE,
    commandRetries: e.COMMAND_RETRIES,
    snapshotEvery: e.SNAPSHOT_EVERY,
    readModelWaitMs: e.READ_MODEL_WAIT_MS,
    projectionBatchSize: e.PROJECTION_BATCH_SIZE,
    projectionPollMs: e.PROJECTION_POLL_MS,
    rebuildBatchSize: e.REBUILD_BATCH_SIZE,
    subscriptionBuffer: e.SUBSCRIPTION_BUFFER,
    subscriptionWindow: e.SUBSCRIPTION_WINDOW,
    wsKeepAliveMs: e.WS_KEEPALIVE_MS,
  });
}
