import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_INPUT_LIMITS as D, unsafeLimits, type InputLimits } from './shared/input-limits';
import { isCurrencyCode, withdrawal } from './shared/currencies';
import { Decimal } from './shared/money';
import { parseDuration } from './shared/duration';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** OTEL_TRACES_SAMPLER's values, as the OpenTelemetry specification names them. */
const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** 30 days: as long as the tokens `npm start` prints and `npm run token` makes by default. */
export const DEFAULT_MAX_TOKEN_LIFETIME_S = 30 * 24 * 3600;

/** How long the NATS stream keeps a message, at least and at most (JetStream counts it in int64 nanoseconds). */
const BUS_RETENTION_MS = { min: 60_000, max: 3650 * 86_400_000 } as const;

/** The longest payment window: 3650 days, well inside what a Date can add to now. */
const MAX_PAYMENT_WINDOW_MS = 3650 * 86_400_000;

/** The OpenTelemetry specification reads an empty variable as an unset one. */
const otlpUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional());

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: z.enum(['', '0', '1', 'true', 'false']).optional(),
  DATA_DIR: z.string().min(1).default(path.resolve(process.cwd(), '.data')),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
  COMMAND_RETRIES: z.coerce.number().int().min(0).max(50).default(10),
  SNAPSHOT_EVERY: z.coerce.number().int().min(0).default(100),
  READ_MODEL_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  PROJECTION_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  PROJECTION_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  PROJECTION_ON_ERROR: z.enum(['park', 'stop'], 'must be park or stop').default('park'),
  PROJECTION_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(512 * 2 ** 20)
    .default(32 * 2 ** 20),
  REBUILD_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(5000),
  SUBSCRIPTION_BUFFER: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  LIVE_LIST_LIMIT: z.coerce.number().int().min(1).max(100_000).default(1000),
  SUBSCRIPTION_WINDOW: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  // The edge (docs/api.md, "Limits"): every one answered with a documented code.
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 2 ** 20)
    .default(2 ** 20),
  QUERY_MAX_DEPTH: z.coerce.number().int().min(1).max(1000).default(20),
  QUERY_MAX_COST: z.coerce.number().int().min(1).max(1e12).default(20_000),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(20),
  QUERY_MAX_TOKENS: z.coerce.number().int().min(10).max(1_000_000).default(5000),
  EVENTS_PAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 2 ** 20)
    .default(2 * 2 ** 20),
  ORDER_ITEMS_PER_RESPONSE: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  WS_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 2 ** 20)
    .default(2 ** 20),
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(100_000).default(100),
  WS_MAX_SOCKET_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 2 ** 20)
    .default(256 * 1024),
  WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: z.coerce.number().int().min(1).max(1_000_000).default(300),
  WS_MAX_CONNECTIONS_PER_PRINCIPAL: z.coerce.number().int().min(0).max(1_000_000).default(32),
  WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(256),
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(0).max(1_000_000).default(4000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  CORS_ORIGINS: z.string().optional(),
  ALLOWED_HOSTS: z.string().optional(),
  RATE_LIMIT_MUTATIONS_PER_SECOND: z.coerce.number().min(0).max(1e9).default(1000),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(1e9).optional(),
  // The event bus (docs/api.md, "The event bus"): unset, nothing is published.
  BUS_URL: z
    .string()
    .regex(/^(nats|amqps?):\/\//, 'must be a nats://, amqp:// or amqps:// URL')
    .optional(),
  BUS_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  BUS_RETRY_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  BUS_MAX_RETRY_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  BUS_RETENTION: z
    .string()
    .default('P7D')
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms !== undefined && ms >= BUS_RETENTION_MS.min && ms <= BUS_RETENTION_MS.max) return ms;
      ctx.addIssue({
        code: 'custom',
        message:
          ms === undefined
            ? 'must be an ISO 8601 duration such as P7D or PT12H (weeks, days, hours, minutes, seconds), or milliseconds'
            : 'must be at least one minute (PT1M) and at most 3650 days (P3650D)',
      });
      return z.NEVER;
    }),
  // Deadlines (docs/api.md, "Deadlines"): unset, orders wait for payment for ever.
  ORDER_PAYMENT_WINDOW: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return undefined;
      const ms = parseDuration(text);
      if (ms !== undefined && ms >= 1000 && ms <= MAX_PAYMENT_WINDOW_MS) return ms;
      ctx.addIssue({
        code: 'custom',
        message:
          ms === undefined
            ? 'must be an ISO 8601 duration such as P3D or PT30M (weeks, days, hours, minutes, seconds), or milliseconds'
            : 'must be at least one second (PT1S) and at most 3650 days (P3650D)',
      });
      return z.NEVER;
    }),
  // Traces (docs/operations.md, "Traces"): the standard OpenTelemetry variables; no endpoint, no tracing.
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], 'must be otlp or none (the service exports OTLP over HTTP)')
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_SERVICE_NAME: z.string().min(1).default('orderstream'),
  OTEL_TRACES_SAMPLER: z.enum(TRACES_SAMPLERS).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  // Who may do what (docs/api.md, "Roles"): JWTs signed with a shared secret (HS256) or by keys published at a JWKS URL.
  NODE_ENV: z.string().optional(),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits for HS256)').optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  // Seconds, as a token's own `exp` and `iat` count time.
  AUTH_MAX_TOKEN_LIFETIME: z.coerce.number().int().min(60).default(DEFAULT_MAX_TOKEN_LIFETIME_S),
  // A scraper's bearer token for GET /metrics (an admin JWT works too); unset, only admin JWTs are admitted.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // The commit the build was made from, for orderstream_build_info (an image build passes it on).
  BUILD_COMMIT: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/, 'must be a commit id: 7 to 64 hex digits')
    .optional(),
  // The master key that wraps every customer's data key (docs/operations.md, "Personal data"); the previous ones
  // still unwrap keys that `npm run keys -- rotate` has not rewrapped yet.
  DATA_KEY: z.string().transform(masterKey).optional(),
  DATA_KEY_PREVIOUS: z
    .string()
    .transform((list, ctx) =>
      list
        .split(',')
        .filter((k) => k.trim() !== '')
        .map((k) => masterKey(k.trim(), ctx)),
    )
    .optional(),
  // Input bounds (src/shared/input-limits.ts); their product is checked against what the read models hold.
  MAX_NAME_LENGTH: z.coerce.number().int().min(1).max(10_000).default(D.nameLength),
  MAX_EMAIL_LENGTH: z.coerce.number().int().min(6).max(10_000).default(D.emailLength),
  MAX_PRODUCT_ID_LENGTH: z.coerce.number().int().min(1).max(10_000).default(D.productIdLength),
  MAX_REASON_LENGTH: z.coerce.number().int().min(1).max(100_000).default(D.reasonLength),
  // At most 600: ids are indexed, and 600 UTF-16 units stay within a btree row (2,704 bytes) in any script.
  MAX_ID_LENGTH: z.coerce.number().int().min(36).max(600).default(D.idLength),
  MAX_QUANTITY: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1)
    .default(D.quantity),
  MAX_UNIT_PRICE: z
    .string()
    .regex(/^\d{1,15}(\.\d{1,2})?$/, 'must be an amount such as 1000000 or 999.99 (at most 15 digits before the point)')
    .default(D.unitPrice),
  // A value of the API's CurrencyCode enum, not withdrawn: what placeOrder itself accepts.
  DEFAULT_CURRENCY: z
    .string()
    .refine(
      (c) => isCurrencyCode(c) && !withdrawal(c),
      'must be a current ISO 4217 code such as EUR, in capitals (a value of the CurrencyCode enum, not deprecated)',
    )
    .default('EUR'),
  MAX_ITEMS_PER_ORDER: z.coerce.number().int().min(1).max(65_535).default(D.itemsPerOrder),
});

export type Config = Readonly<{
  port: number;
  host: string;
  /** Unset: an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Human-readable log lines (pino-pretty) instead of JSON lines. */
  logPretty: boolean;
  /** Spans exported over OTLP; undefined: tracing is off (no SDK started). */
  tracing: TracingConfig | undefined;
  dataDir: string;
  poolSize: number;
  /** How often a command without `expectedVersion` is re-read and re-decided after losing a race. */
  commandRetries: number;
  /** Snapshot an aggregate every this many events, so loading folds only the events after it (0: never). */
  snapshotEvery: number;
  /**
   * How long a read of the query tables waits for the projectors to pass the writes it must show (this instance's
   * commands, and `Read-After-Position`) before answering from the tables as they stand, with a warning. A mutation
   * never waits: it answers with its own fold.
   */
  readModelWaitMs: number;
  projectionBatchSize: number;
  /** How often idle projectors and the live-log tailer look at the log when no wake-up came. */
  projectionPollMs: number;
  rebuildBatchSize: number;
  /** The most a projector batch (live or rebuild) holds, as JSON, whatever its number of events. */
  projectionBatchBytes: number;
  /**
   * What a projector does with an event it cannot apply: park it (its aggregate's later events held behind it) and
   * go on, or stop FAILED before it until an operator retries.
   */
  projectionOnError: 'park' | 'stop';
  /** Orders with undelivered changes an orderChanged/ordersChanged subscription may have before it is ended as too slow. */
  subscriptionBuffer: number;
  /** Orders an orderListChanged subscription's list may hold (its first rows, and as it grows). */
  liveListLimit: number;
  /** Recent events kept in memory for `events` subscribers (within a byte cap); one further behind reads from the database. */
  subscriptionWindow: number;
  /** WebSocket ping interval; a connection that misses a pong in that time is closed. */
  wsKeepAliveMs: number;
  /** Largest HTTP request body accepted (413 PAYLOAD_TOO_LARGE beyond). */
  bodyLimitBytes: number;
  /** Refused before execution with QUERY_TOO_COMPLEX, `extensions.limit` naming which. */
  queryLimits: Readonly<{ maxDepth: number; maxCost: number; maxAliases: number; maxTokens: number }>;
  /** The most an `events` query page holds, as JSON (fewer events than `first` when they are large). */
  eventsPageBytes: number;
  /** The most items the orders pages of one response hold together (the query cost counts 10 per order). */
  orderItemsPerResponse: number;
  /** Largest WebSocket frame (connection_init included); a larger one closes the socket. */
  wsMaxPayloadBytes: number;
  wsLimits: WsLimits;
  /** WebSockets open at once from one peer address (0: no cap). */
  wsMaxConnectionsPerAddress: number;
  /** The HTTP server's caps on slow or idle clients: sockets open at once (0: no cap), header and request time. */
  http: Readonly<{ maxConnections: number; headersTimeoutMs: number; requestTimeoutMs: number }>;
  /**
   * How long, after SIGTERM, requests in flight may take (the server answers /readyz 503 and goes on serving
   * meanwhile); what is still running then is cut, and the process exits 1.
   */
  shutdownGraceMs: number;
  /** Browser origins admitted by CORS and on WebSocket upgrade; undefined: loopback origins and Apollo Sandbox. */
  corsOrigins: readonly string[] | undefined;
  /** Host names the server answers to; undefined: loopback names when it listens on loopback, else any. */
  allowedHosts: readonly string[] | undefined;
  /** Mutations per caller per second (a token bucket of `burst`); 0 turns the limit off. */
  rateLimit: Readonly<{ perSecond: number; burst: number }>;
  /** What every command input is held to (lengths, quantities, amounts). */
  inputLimits: InputLimits;
  /** ISO 4217: the currency of an order placed without one. */
  defaultCurrency: string;
  /** ORDER_PAYMENT_WINDOW: an order unpaid this long after it was placed is cancelled (undefined: never). */
  paymentWindowMs: number | undefined;
  auth: AuthConfig;
  /** Admits a Prometheus scraper to GET /metrics without a JWT. */
  metricsToken: string | undefined;
  /** The commit the running build was made from (BUILD_COMMIT), reported by orderstream_build_info. */
  buildCommit: string | undefined;
  /** DATA_KEY (undefined: a development key kept under the data folder) and DATA_KEY_PREVIOUS, 32 bytes each. */
  dataKeys: Readonly<{ current: Buffer | undefined; previous: readonly Buffer[] }>;
  bus:
    | Readonly<{
        url: string;
        batchSize: number;
        retryMs: number;
        maxRetryMs: number;
        /** How long the NATS stream keeps a message (its `max_age`); RabbitMQ's queues are their consumers'. */
        retentionMs: number;
      }>
    | undefined;
}>;

/**
 * How callers' tokens are checked: a shared HS256 secret, a JWKS URL (RS256/ES256), or, out of the box outside
 * production, a development secret the service makes and keeps under the data folder.
 */
export type AuthConfig = Readonly<
  ({ mode: 'secret'; secret: string } | { mode: 'jwks'; jwksUrl: string } | { mode: 'development' }) & {
    issuer?: string;
    audience?: string;
    /** How far in the future a token's `exp` may lie, in seconds (AUTH_MAX_TOKEN_LIFETIME; unset: the default). */
    maxTokenLifetimeS?: number;
  }
>;

/** What graphql-ws sockets and their callers may hold open (src/edge/ws-limits.ts). */
export type WsLimits = Readonly<{
  /** Operations open at once on one socket (WS_MAX_SUBSCRIPTIONS). */
  operationsPerSocket: number;
  /** Bytes of documents and variables one socket's open operations hold (WS_MAX_SOCKET_BYTES). */
  bytesPerSocket: number;
  /** Operations open at once over all of one caller's sockets (WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL). */
  operationsPerPrincipal: number;
  /** Sockets one caller may have open at once (WS_MAX_CONNECTIONS_PER_PRINCIPAL; 0: no cap). */
  connectionsPerPrincipal: number;
}>;

/** Where spans go and which are kept. */
export type TracingConfig = Readonly<{
  /** The OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  url: string;
  serviceName: string;
  sampler: (typeof TRACES_SAMPLERS)[number];
  /** The share of traces a ratio sampler keeps, 0 to 1. */
  samplerRatio: number;
}>;

export class ConfigError extends Error {}

/** A 32-byte master key written as 64 hex digits or as base64 (standard or URL-safe). */
function masterKey(text: string, ctx: z.RefinementCtx): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(text) && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text))) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, as 64 hex digits or base64' });
    return Buffer.alloc(0);
  }
  return key;
}

/** Reads the environment once; a bad value throws one line that names the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const inputLimits: InputLimits = Object.freeze({
    nameLength: e.MAX_NAME_LENGTH,
    emailLength: e.MAX_EMAIL_LENGTH,
    productIdLength: e.MAX_PRODUCT_ID_LENGTH,
    reasonLength: e.MAX_REASON_LENGTH,
    idLength: e.MAX_ID_LENGTH,
    quantity: e.MAX_QUANTITY,
    unitPrice: new Decimal(e.MAX_UNIT_PRICE).toFixed(2),
    itemsPerOrder: e.MAX_ITEMS_PER_ORDER,
  });
  if (e.AUTH_JWT_SECRET && e.AUTH_JWKS_URL) {
    throw new ConfigError('Invalid environment variables AUTH_JWT_SECRET and AUTH_JWKS_URL: set one of them, not both');
  }
  const keys: AuthConfig = e.AUTH_JWT_SECRET
    ? { mode: 'secret', secret: e.AUTH_JWT_SECRET }
    : e.AUTH_JWKS_URL
      ? { mode: 'jwks', jwksUrl: e.AUTH_JWKS_URL }
      : { mode: 'development' };
  if (keys.mode === 'development' && e.NODE_ENV === 'production') {
    throw new ConfigError('NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWKS_URL: callers must authenticate');
  }
  if (!e.DATA_KEY && e.NODE_ENV === 'production') {
    throw new ConfigError('NODE_ENV=production needs DATA_KEY: personal data must not be keyed by a file beside it');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      'Invalid environment variables HTTP_HEADERS_TIMEOUT_MS and HTTP_REQUEST_TIMEOUT_MS: the headers must be due no later than the whole request',
    );
  }
  const unsafe = unsafeLimits(inputLimits);
  if (unsafe) throw new ConfigError(`Invalid environment variables MAX_QUANTITY and MAX_ITEMS_PER_ORDER: ${unsafe}`);
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY === '1' || e.LOG_PRETTY === 'true',
    tracing: tracingConfig(e),
    dataDir: path.resolve(e.DATA_DIR),
    poolSize: e.DB_POOL_SIZE,
    commandRetries: e.COMMAND_RETRIES,
    snapshotEvery: e.SNAPSHOT_EVERY,
    readModelWaitMs: e.READ_MODEL_WAIT_MS,
    projectionBatchSize: e.PROJECTION_BATCH_SIZE,
    projectionPollMs: e.PROJECTION_POLL_MS,
    rebuildBatchSize: e.REBUILD_BATCH_SIZE,
    projectionBatchBytes: e.PROJECTION_BATCH_BYTES,
    projectionOnError: e.PROJECTION_ON_ERROR,
    subscriptionBuffer: e.SUBSCRIPTION_BUFFER,
    liveListLimit: e.LIVE_LIST_LIMIT,
    subscriptionWindow: e.SUBSCRIPTION_WINDOW,
    wsKeepAliveMs: e.WS_KEEPALIVE_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    queryLimits: Object.freeze({
      maxDepth: e.QUERY_MAX_DEPTH,
      maxCost: e.QUERY_MAX_COST,
      maxAliases: e.QUERY_MAX_ALIASES,
      maxTokens: e.QUERY_MAX_TOKENS,
    }),
    eventsPageBytes: e.EVENTS_PAGE_BYTES,
    orderItemsPerResponse: e.ORDER_ITEMS_PER_RESPONSE,
    wsMaxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
    wsLimits: Object.freeze({
      operationsPerSocket: e.WS_MAX_SUBSCRIPTIONS,
      bytesPerSocket: e.WS_MAX_SOCKET_BYTES,
      operationsPerPrincipal: e.WS_MAX_SUBSCRIPTIONS_PER_PRINCIPAL,
      connectionsPerPrincipal: e.WS_MAX_CONNECTIONS_PER_PRINCIPAL,
    }),
    wsMaxConnectionsPerAddress: e.WS_MAX_CONNECTIONS_PER_ADDRESS,
    http: Object.freeze({
      maxConnections: e.HTTP_MAX_CONNECTIONS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    corsOrigins: e.CORS_ORIGINS === undefined ? undefined : Object.freeze(splitList(e.CORS_ORIGINS)),
    allowedHosts: e.ALLOWED_HOSTS === undefined ? undefined : Object.freeze(splitList(e.ALLOWED_HOSTS)),
    rateLimit: Object.freeze({
      perSecond: e.RATE_LIMIT_MUTATIONS_PER_SECOND,
      burst: e.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(e.RATE_LIMIT_MUTATIONS_PER_SECOND)),
    }),
    inputLimits,
    defaultCurrency: e.DEFAULT_CURRENCY,
    paymentWindowMs: e.ORDER_PAYMENT_WINDOW,
    auth: Object.freeze({
      ...keys,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      maxTokenLifetimeS: e.AUTH_MAX_TOKEN_LIFETIME,
    }),
    metricsToken: e.METRICS_TOKEN,
    buildCommit: e.BUILD_COMMIT,
    dataKeys: Object.freeze({ current: e.DATA_KEY, previous: Object.freeze(e.DATA_KEY_PREVIOUS ?? []) }),
    bus: e.BUS_URL
      ? Object.freeze({
          url: e.BUS_URL,
          batchSize: e.BUS_BATCH_SIZE,
          retryMs: e.BUS_RETRY_MS,
          maxRetryMs: e.BUS_MAX_RETRY_MS,
          retentionMs: e.BUS_RETENTION,
        })
      : undefined,
  });
}

/**
 * On when an OTLP endpoint is set and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none says otherwise.
 * The signal's own endpoint is used as it is; the general one gets the signal's path, as the specification says.
 */
function tracingConfig(e: z.output<typeof schema>): TracingConfig | undefined {
  const url =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!url || e.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || e.OTEL_TRACES_EXPORTER === 'none') {
    return undefined;
  }
  return Object.freeze({
    url,
    serviceName: e.OTEL_SERVICE_NAME,
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
  });
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
