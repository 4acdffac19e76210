import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import pino, { type Logger } from 'pino';
import type { FulfillmentConfig } from './config';
import type { Consumer, Settled } from './consumer';
import { createFulfiller, type Fulfiller, type FulfillmentHooks } from './fulfill';
import { startProbeServer, type ProbeServer } from './http';
import { createFulfillmentMetrics } from './metrics';
import { createInbox, createInboxPool } from './inbox';
import { migrateInbox } from './migrate';
import { startNatsConsumer } from './nats-consumer';
import { createOrderstreamApi } from './orderstream-api';
import { startRabbitConsumer } from './rabbitmq-consumer';
import { startTracing, type Tracing } from './tracing';

export type FulfillmentOptions = {
  logger?: Logger;
  /** Test seams (see FulfillmentHooks). */
  hooks?: FulfillmentHooks;
  /** Replaces global fetch for calls to orderstream (tests inject failures with it). */
  fetch?: typeof fetch;
  /** Told about every message once the broker has been told what became of it. */
  observe?: (settled: Settled) => void;
  /** Tracing on, its spans handed to these processors (a test's in-memory exporter) instead of OTLP. */
  spanProcessors?: SpanProcessor[];
};

export type Fulfillment = {
  /** Where its probes and metrics are served: http://host:port (GET /healthz, /readyz, /metrics). */
  url: string;
  /** Idempotent: stops receiving, lets messages in hand finish (or gives them back), then disconnects. */
  stop(): Promise<void>;
};

/**
 * The composition root: probes and metrics → inbox schema → inbox → orderstream client → processing step → broker
 * consumer.
 */
export async function startFulfillment(
  config: FulfillmentConfig,
  options: FulfillmentOptions = {},
): Promise<Fulfillment> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'fulfillment' } });
  const pool = createInboxPool(config.databaseUrl, Math.min(config.concurrency, 10) + 1);
  const lifetime = new AbortController();
  let consumer: Consumer | undefined;
  let consuming = false;
  let tracing: Tracing | undefined;
  let probes: ProbeServer | undefined;
  const metrics = createFulfillmentMetrics();
  const stop = async () => {
    lifetime.abort();
    await consumer?.stop();
    await pool.end();
    await tracing?.shutdown();
    await probes?.close();
  };
  try {
    // First, so that an orchestrator sees the process up (and not ready) while it connects.
    probes = await startProbeServer(config.host, config.port, {
      registry: metrics.registry,
      metricsToken: config.metricsToken,
      ready: async () => {
        if (!consuming || lifetime.signal.aborted) return false;
        try {
          await pool.query('SELECT 1');
          return true;
        } catch {
          return false;
        }
      },
    });
    tracing = await startTracing(config.tracing, options.spanProcessors);
    const applied = await migrateInbox(pool);
    if (applied.length > 0) logger.info({ applied }, 'inbox schema migrated');
    const api = createOrderstreamApi({
      url: config.orderstreamUrl,
      token: config.token,
      timeoutMs: config.httpTimeoutMs,
      fetch: options.fetch,
      tracing,
    });
    const fulfilOne = createFulfiller({
      config,
      inbox: createInbox(pool),
      api,
      logger,
      signal: lifetime.signal,
      hooks: options.hooks,
    });
    const fulfil: Fulfiller = async (delivery) => {
      metrics.received(delivery.attempt);
      try {
        return await fulfilOne(delivery);
      } finally {
        metrics.done();
      }
    };
    const observe = (settled: Settled) => {
      metrics.settled(settled);
      options.observe?.(settled);
    };
    const start = config.bus === 'nats' ? startNatsConsumer : startRabbitConsumer;
    consumer = start({ config, fulfil, logger, signal: lifetime.signal, observe, tracing });
    await consumer.ready;
    consuming = true;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  logger.info(
    {
      bus: config.bus,
      orderstream: config.orderstreamUrl,
      delayMs: config.delayMs,
      consumer: config.consumer,
      probes: probes.url,
    },
    'fulfillment started',
  );
  let stopping: Promise<void> | undefined;
  return { url: probes.url, stop: () => (stopping ??= stop()) };
}
