import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import pino, { type Logger } from 'pino';
import type { FulfillmentConfig } from './config';
import type { Consumer, Settled } from './consumer';
import { createFulfiller, type FulfillmentHooks } from './fulfill';
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
  /** Idempotent: stops receiving, lets messages in hand finish (or gives them back), then disconnects. */
  stop(): Promise<void>;
};

/** The composition root: inbox schema → inbox → token → orderstream client → processing step → broker consumer. */
export async function startFulfillment(
  config: FulfillmentConfig,
  options: FulfillmentOptions = {},
): Promise<Fulfillment> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'fulfillment' } });
  const pool = createInboxPool(config.databaseUrl, Math.min(config.concurrency, 10) + 1);
  const lifetime = new AbortController();
  let consumer: Consumer | undefined;
  let tracing: Tracing | undefined;
  const stop = async () => {
    lifetime.abort();
    await consumer?.stop();
    await pool.end();
    await tracing?.shutdown();
  };
  try {
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
    const fulfil = createFulfiller({
      config,
      inbox: createInbox(pool),
      api,
      logger,
      signal: lifetime.signal,
      hooks: options.hooks,
    });
    const start = config.bus === 'nats' ? startNatsConsumer : startRabbitConsumer;
    consumer = start({ config, fulfil, logger, signal: lifetime.signal, observe: options.observe, tracing });
    await consumer.ready;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  logger.info(
    { bus: config.bus, orderstream: config.orderstreamUrl, delayMs: config.delayMs, consumer: config.consumer },
    'fulfillment started',
  );
  let stopping: Promise<void> | undefined;
  return { stop: () => (stopping ??= stop()) };
}
