import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL');
/** The OpenTelemetry specification reads an empty variable as an unset one. */
const otlpUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional());
const ms = (max: number) => z.coerce.number().int().min(0).max(max);

const schema = z.object({
  BUS_URL: z
    .string()
    .regex(/^(nats|amqps?):\/\//, 'must be a nats://, amqp:// or amqps:// URL (the broker orderstream publishes to)'),
  ORDERSTREAM_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:4000'),
  FULFILLMENT_TOKEN: z.string().min(1).optional(),
  // Capped well below RabbitMQ's default consumer timeout (30 min), which would close a channel holding a message.
  FULFILLMENT_DELAY_MS: ms(15 * 60_000).default(2000),
  FULFILLMENT_DATABASE_URL: postgresUrl.optional(),
  DATABASE_URL: postgresUrl.optional(),
  // A NATS durable name may not contain '.', '*', '>' or whitespace; keep it to a portable alphabet.
  FULFILLMENT_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -')
    .default('fulfillment'),
  FULFILLMENT_START: z.enum(['all', 'new']).default('all'),
  FULFILLMENT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  FULFILLMENT_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60_000).default(1000),
  FULFILLMENT_RETRY_MAX_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  FULFILLMENT_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // The probes and metrics (GET /healthz, /readyz, /metrics); the image sets HOST=0.0.0.0 and PORT=4000.
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // Traces: the standard OpenTelemetry variables (OTEL_TRACES_SAMPLER and the exporter's others are read by the SDK).
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], 'must be otlp or none (the service exports OTLP over HTTP)')
    .optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_SERVICE_NAME: z.string().min(1).default('fulfillment'),
});

export type FulfillmentConfig = Readonly<{
  busUrl: string;
  bus: 'nats' | 'amqp';
  /** orderstream's base URL; the GraphQL endpoint is `${orderstreamUrl}/graphql`. */
  orderstreamUrl: string;
  /** The `staff` bearer token the service calls orderstream with, as it was given (FULFILLMENT_TOKEN). */
  token: string;
  /** How long after an order is paid it is shipped (measured from the OrderPaid event's timestamp). */
  delayMs: number;
  /** Where the inbox lives: the service's own database (it may be the same server as orderstream's). */
  databaseUrl: string;
  /** The NATS durable consumer's name; the RabbitMQ queue is `<consumer>.order-paid`. */
  consumer: string;
  /** Where a NATS durable starts when it is first created: the whole retained stream, or only new events. */
  start: 'all' | 'new';
  /** Messages in hand at once (RabbitMQ prefetch, NATS max_ack_pending and pull batch). */
  concurrency: number;
  /** Backoff before a message that failed for a transient reason comes back: base · 2^(attempt-1), capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  httpTimeoutMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Where GET /healthz, /readyz and /metrics are served (port 0: any free one). */
  host: string;
  port: number;
  /** When set, GET /metrics wants it as a bearer token. */
  metricsToken: string | undefined;
  /** Spans exported over OTLP/HTTP to `url`; undefined: tracing is off. */
  tracing: Readonly<{ url: string; serviceName: string }> | undefined;
}>;

export class ConfigError extends Error {}

/** How an operator makes the service's token (orderstream's CLI, where the signing secret is). */
const MINT = 'npm run -s token -- --role staff --sub fulfillment --expires 30d';

/** Reads the environment once; a bad or missing value throws one line that names the variable. */
export function loadFulfillmentConfig(env: NodeJS.ProcessEnv = process.env): FulfillmentConfig {
  // With the secret, whoever took this service over could sign any role's token, an admin's included.
  if (env.AUTH_JWT_SECRET !== undefined) {
    throw new ConfigError(
      `Refusing AUTH_JWT_SECRET: the fulfillment service must not hold orderstream's signing secret; unset it and give ` +
        `the service FULFILLMENT_TOKEN, a staff token (${MINT})`,
    );
  }
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (!e.FULFILLMENT_TOKEN) {
    throw new ConfigError(
      `Missing environment variable FULFILLMENT_TOKEN: the staff token the service calls shipOrder with (${MINT})`,
    );
  }
  const databaseUrl = e.FULFILLMENT_DATABASE_URL ?? e.DATABASE_URL;
  if (!databaseUrl) {
    throw new ConfigError(
      'Missing environment variable FULFILLMENT_DATABASE_URL (or DATABASE_URL): the inbox needs a PostgreSQL database' +
        ' (with `npm start`\'s embedded one: FULFILLMENT_DATABASE_URL="$(cat .data/postgres.url)")',
    );
  }
  if (e.FULFILLMENT_RETRY_MAX_MS < e.FULFILLMENT_RETRY_BASE_MS) {
    throw new ConfigError(
      'Invalid environment variable FULFILLMENT_RETRY_MAX_MS: must be at least FULFILLMENT_RETRY_BASE_MS',
    );
  }
  return Object.freeze({
    busUrl: e.BUS_URL,
    bus: e.BUS_URL.startsWith('nats:') ? 'nats' : 'amqp',
    orderstreamUrl: e.ORDERSTREAM_URL.replace(/\/+$/, ''),
    token: e.FULFILLMENT_TOKEN,
    delayMs: e.FULFILLMENT_DELAY_MS,
    databaseUrl,
    consumer: e.FULFILLMENT_CONSUMER,
    start: e.FULFILLMENT_START,
    concurrency: e.FULFILLMENT_CONCURRENCY,
    retryBaseMs: e.FULFILLMENT_RETRY_BASE_MS,
    retryMaxMs: e.FULFILLMENT_RETRY_MAX_MS,
    httpTimeoutMs: e.FULFILLMENT_HTTP_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    host: e.HOST,
    port: e.PORT,
    metricsToken: e.METRICS_TOKEN,
    tracing: tracingConfig(e),
  });
}

/** On when an OTLP endpoint is set, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. */
function tracingConfig(e: z.output<typeof schema>): FulfillmentConfig['tracing'] {
  const url =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!url || e.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || e.OTEL_TRACES_EXPORTER === 'none') {
    return undefined;
  }
  return Object.freeze({ url, serviceName: e.OTEL_SERVICE_NAME });
}

/** The backoff before attempt `attempt + 1` (attempt ≥ 1), with jitter so failed messages do not return in step. */
export function retryDelay(config: Pick<FulfillmentConfig, 'retryBaseMs' | 'retryMaxMs'>, attempt: number): number {
  const ceiling = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
