import { randomBytes } from 'node:crypto';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticator';
import { developmentTokens, type DevelopmentTokens } from './auth/development';
import { customerCommands } from './customers/commands';
import { CUSTOMER } from './customers/events';
import { ConfigError, type Config } from './config';
import { startEmbeddedPostgres } from './db/embedded';
import { migrate } from './db/migrate';
import { connectionConfig, createPool } from './db/pool';
import { createPrisma } from './db/prisma';
import { sharedTokenBuckets } from './db/rate-limit-buckets';
import { queryTableReads } from './db/reads';
import {
  CHECKPOINTS_CHANNEL,
  createEventStore,
  DataKeys,
  EVENTS_CHANNEL,
  Notifier,
  PersonalData,
  resolveMasterKeys,
} from './eventstore';
import { buildSchema } from './graphql/schema';
import { createPublisher } from './bus/publisher';
import { buildInfo } from './observability/build-info';
import { createMetrics } from './observability/metrics';
import { TRACING_OFF, type Tracing } from './observability/tracing';
import { startTracing as startTracingSdk } from './observability/tracing-sdk';
import { Lanes } from './commands/lanes';
import { Leadership } from './log/leadership';
import { ProjectionRunner } from './projections/runner';
import { ReactorRunner, type ReactorState } from './reactions/runner';
import { Relay, type RelayState } from './relay/relay';
import { Scheduler } from './scheduling/scheduler';
import { ReadModelFeed } from './subscriptions/read-model-feed';
import { LogTailer } from './log/tailer';
import { PROJECTION_STATUSES } from './log/checkpoints';
import type { Projector } from './projections/types';
import type { ProjectionOptions } from './projections/projector-processor';
import { createHttpServer } from './edge/http-server';
import type { Services } from './services';
import { SCHEDULED_COMMANDS_PROJECTOR } from './scheduling/projector';
import { DEADLINES, EVENT_SCHEMAS, PERSONAL_FIELDS, PROJECTORS, REACTORS, SLICES } from './slices';

const RELAY_STATES: readonly RelayState[] = ['PUBLISHING', 'IDLE', 'RETRYING', 'FOLLOWING', 'STOPPED'];
const REACTOR_STATES: readonly ReactorState[] = ['WORKING', 'IDLE', 'RETRYING', 'FOLLOWING', 'STOPPED'];

/** However many events SUBSCRIPTION_WINDOW allows, the window never holds much more than this of them. */
const SUBSCRIPTION_WINDOW_BYTES = 64 * 2 ** 20;

export type StartOptions = {
  /** Test seams for the projection runner. */
  projection?: Pick<ProjectionOptions, 'beforeCommit'>;
  /**
   * Sees every SQL statement sent through Prisma, the log reads and the API's reads of the query tables (tests count
   * the query tables' reads: nested loads are batched; and the log's).
   */
  onQuery?: (sql: string) => void;
  projectors?: readonly Projector[];
  /** Test seam: changes the executable schema (tests force failures that valid input can no longer cause). */
  schema?: (schema: GraphQLSchema) => GraphQLSchema;
  /** Test seam: tracing on, its spans handed to these processors (e.g. an in-memory exporter) instead of OTLP. */
  spanProcessors?: SpanProcessor[];
};

export type Orderstream = {
  /** http://host:port — GraphQL (and graphql-ws) at /graphql. */
  url: string;
  databaseUrl: string;
  services: Services;
  /** Out of the box (no AUTH_*, not production): ready-made tokens, printed at start-up. */
  developmentTokens?: DevelopmentTokens;
  /** With developmentTokens: the key the pages' URLs must carry for the pages to send the admin token. */
  pageKey?: string;
  /** Drains and stops: false when requests still in flight at the end of SHUTDOWN_GRACE_MS were cut. */
  stop(): Promise<boolean>;
};

/**
 * The composition root: database (embedded unless DATABASE_URL) → migrations → event store → GraphQL → HTTP and
 * WebSocket server. Used by `npm start` and by the end-to-end tests alike.
 */
export async function startOrderstream(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<Orderstream> {
  const cleanups: (() => Promise<void>)[] = [];
  let stopping: Promise<boolean> | undefined;
  let drained = true;
  // Undo start-up in reverse: stop serving, stop the readers, close the pool, and only then stop the database.
  const stop = () =>
    (stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) {
        await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error during shutdown'));
      }
      return drained;
    })());
  try {
    // First in, last out: the spans of everything shutdown does are still exported.
    const tracing = await startTracing(config, options.spanProcessors);
    cleanups.push(() => tracing.shutdown());
    if (config.tracing) logger.info({ url: config.tracing.url }, 'exporting traces over OTLP');
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        database: 'orderstream',
        log: (line) => logger.debug({ postgres: line.trim() }, 'embedded postgres'),
      });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
      logger.info({ dataDir: config.dataDir }, 'embedded PostgreSQL started');
    }
    const applied = await migrate(databaseUrl);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');

    const pool = createPool(databaseUrl, config.poolSize);
    pool.on('error', (error) => logger.warn({ error: error.message }, 'idle database connection failed'));
    cleanups.push(() => pool.end());
    const projectors = (options.projectors ?? PROJECTORS).filter(
      (p) => p.name !== SCHEDULED_COMMANDS_PROJECTOR || DEADLINES.some((d) => d.active(config)),
    );
    const batchPool = createPool(databaseUrl, projectors.length + 1, { pipeline: true });
    batchPool.on('error', (error) => logger.warn({ error: error.message }, 'idle database connection failed'));
    cleanups.push(() => batchPool.end());
    const notifier = new Notifier(pool, connectionConfig(databaseUrl), logger);
    cleanups.push(() => notifier.close());
    const prisma = createPrisma(pool, options.onQuery);
    cleanups.push(() => prisma.$disconnect());
    const metrics = createMetrics(
      logger,
      { projection: PROJECTION_STATUSES, relay: RELAY_STATES, reactor: REACTOR_STATES },
      buildInfo(config.buildCommit),
    );
    const dataKeys = new DataKeys(prisma, await resolveMasterKeys(config.dataKeys, config.dataDir));
    // Refused here rather than found by the first read of a sealed event, which would retry it for ever while every
    // processor and subscription waits behind it.
    const unknownMasters = await dataKeys.unknownMasterKeys();
    if (unknownMasters.length > 0) {
      throw new ConfigError(
        `DATA_KEY: the database's data keys are wrapped by master key ${unknownMasters.join(', ')}, which is neither ` +
          `DATA_KEY nor in DATA_KEY_PREVIOUS: start with the key they were wrapped by (or it in DATA_KEY_PREVIOUS)`,
      );
    }
    const store = createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS, {
      appended: (eventTypes) => metrics.eventsAppended(eventTypes),
      tracing,
      onQuery: options.onQuery,
      personalData: new PersonalData(dataKeys, PERSONAL_FIELDS),
    });
    await notifier.listen();
    // Every processor's commit sends it; readers and read-your-writes waits hear it, in every instance.
    const checkpoints = notifier.channel(CHECKPOINTS_CHANNEL);
    // The one live reader of the log in this process, for the subscriptions and the projectors alike: started
    // first, so that its window begins at the head before any projector looks there (one behind it reads the log).
    const tailer = new LogTailer(store, logger, {
      pollMs: config.projectionPollMs,
      pageSize: 1000,
      windowSize: config.subscriptionWindow,
      windowBytes: SUBSCRIPTION_WINDOW_BYTES,
      tracing,
      checkpoints,
    });
    await tailer.start();
    cleanups.push(() => tailer.stop());
    const projections = new ProjectionRunner({
      prisma,
      batchPool,
      store,
      window: tailer,
      checkpoints,
      connection: connectionConfig(databaseUrl),
      logger,
      tracing,
      projectors,
      batchDone: (projector, seconds) => metrics.batchDone(projector, seconds),
      parked: (projector) => metrics.eventParked(projector),
      options: {
        batchSize: config.projectionBatchSize,
        rebuildBatchSize: config.rebuildBatchSize,
        batchBytes: config.projectionBatchBytes,
        pollMs: config.projectionPollMs,
        onError: config.projectionOnError,
        ...options.projection,
      },
    });
    await projections.start();
    cleanups.push(() => projections.stop());
    const readModelFeed = new ReadModelFeed(
      tailer,
      projections,
      prisma,
      logger,
      SLICES.flatMap((slice) => slice.live),
    );
    readModelFeed.start();
    cleanups.push(() => readModelFeed.stop());

    let relay: Relay | undefined;
    if (config.bus) {
      const { bus } = config;
      const leadership = new Leadership(connectionConfig(databaseUrl), logger);
      const running = new Relay({
        prisma,
        store,
        window: tailer,
        checkpoints,
        leadership,
        publisher: createPublisher(bus.url, { logger, personalFields: PERSONAL_FIELDS, retentionMs: bus.retentionMs }),
        logger,
        tracing,
        options: {
          batchSize: bus.batchSize,
          pollMs: config.projectionPollMs,
          retryMs: bus.retryMs,
          maxRetryMs: bus.maxRetryMs,
        },
      });
      running.start();
      cleanups.push(async () => {
        await running.stop();
        await leadership.close();
      });
      relay = running;
    }
    const { commandRetries: retries, snapshotEvery, inputLimits: limits } = config;
    // The command side reports what it shrugs off (a snapshot it could not save) to the log.
    const sliceDeps = {
      store,
      commands: {
        retries,
        snapshotEvery,
        limits,
        defaultCurrency: config.defaultCurrency,
        paymentWindowMs: config.paymentWindowMs,
        logger,
        tracing,
        lanes: new Lanes(),
      },
    };
    const reads = queryTableReads(pool, options.onQuery);
    // Reactors send their commands through the same command side as the mutations, lanes included.
    const reactors = new ReactorRunner({
      prisma,
      store,
      window: tailer,
      checkpoints,
      connection: connectionConfig(databaseUrl),
      logger,
      tracing,
      reads,
      commands: sliceDeps.commands,
      projections: projections.fence,
      reactors: REACTORS,
      options: {
        batchSize: config.projectionBatchSize,
        pollMs: config.projectionPollMs,
        retryMs: 500,
        maxRetryMs: 30_000,
        readModelWaitMs: config.readModelWaitMs,
      },
    });
    reactors.start();
    cleanups.push(() => reactors.stop());
    // Deadlines are sent through the same command side too.
    const scheduler = new Scheduler({
      store,
      commands: sliceDeps.commands,
      reads,
      connection: connectionConfig(databaseUrl),
      checkpoints,
      projections: projections.fence,
      logger,
      deadlines: DEADLINES,
      options: { batchSize: config.projectionBatchSize, pollMs: 1000, retryMs: 500 },
    });
    scheduler.start();
    cleanups.push(() => scheduler.stop());
    const auth = await createAuthenticator(config.auth, config.dataDir);
    metrics.watch({ projections, relay, reactors, scheduler, pool });
    const mutationBuckets = config.rateLimit.perSecond > 0 ? sharedTokenBuckets(pool, config.rateLimit) : undefined;
    if (mutationBuckets) cleanups.push(async () => mutationBuckets.stop());
    const services: Services = {
      config,
      auth,
      relay,
      prisma,
      reads,
      store,
      projections,
      reactors,
      scheduler,
      tailer,
      readModelFeed,
      metrics,
      tracing,
      mutationBuckets,
    };
    const built = buildSchema(
      SLICES.map((slice) => ({
        resolvers: slice.resolvers(sliceDeps),
        access: slice.access,
        nodes: slice.nodes,
        aggregateType: slice.aggregateType,
        eventTypes: slice.eventTypes,
      })),
    );
    const schema = options.schema ? options.schema(built) : built;
    const tokens =
      auth.mode === 'development'
        ? await developmentTokens({
            authenticator: auth,
            dataDir: config.dataDir,
            registerCustomer: async () =>
              (
                await customerCommands(store, sliceDeps.commands).register(
                  { name: 'Development Customer', email: 'dev-customer@example.com' },
                  { userId: 'dev-admin' },
                )
              ).aggregateId,
            customerExists: async (id) => (await store.readStream(id, { toVersion: 1 }))[0]?.aggregateType === CUSTOMER,
          })
        : undefined;
    // 192 bits, new at every start: a URL printed before a restart opens the pages without the token.
    const pageKey = tokens && randomBytes(24).toString('base64url');
    const http = await createHttpServer(schema, services, logger, {
      development: tokens && pageKey ? { adminToken: tokens.admin, key: pageKey } : undefined,
    });
    cleanups.push(async () => {
      drained = await http.stop();
    });
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', reject);
      http.server.listen(config.port, config.host, resolve);
    });
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return { url: `http://${host}:${port}`, databaseUrl, services, developmentTokens: tokens, pageKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Off unless an OTLP endpoint is configured (or a test hands over span processors): then the SDK is not even
 * loaded, and every span site sees TRACING_OFF.
 */
function startTracing(config: Config, spanProcessors: SpanProcessor[] | undefined): Promise<Tracing> {
  if (!config.tracing && !spanProcessors) return Promise.resolve(TRACING_OFF);
  return startTracingSdk(config.tracing, spanProcessors);
}
