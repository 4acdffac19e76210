import net from 'node:net';
import { connect as amqpConnect } from 'amqplib';
import { connect as natsConnect, DeliverPolicy } from 'nats';
import pino from 'pino';
import { busMessage } from '../../src/bus/envelope';
import { createPublisher } from '../../src/bus/publisher';
import { loadConfig } from '../../src/config';
import { connectionConfig, createPool } from '../../src/db/pool';
import { createPrisma } from '../../src/db/prisma';
import {
  createEventStore,
  EVENTS_CHANNEL,
  Notifier,
  CHECKPOINTS_CHANNEL,
  type StoredEvent,
} from '../../src/eventstore';
import { Leadership } from '../../src/log/leadership';
import { Relay } from '../../src/relay/relay';
import { EVENT_SCHEMAS, PERSONAL_FIELDS } from '../../src/slices';
import { graphqlClient } from '../lib/graphql';
import { openLoop, waitFor } from '../lib/openloop';
import { startServer } from '../lib/server';
import { rounded, summarize } from '../lib/stats';
import { figure, type BenchContext, type Figure, type Mode, type Stage } from './types';

/**
 * The relay's throughput: the service's own Relay, run in this process against the run's database
 * (the log the earlier stages wrote), publishing the whole log from position 0 to a real broker and waiting for
 * its acknowledgements, checkpoint after each batch. Baseline, same run, same broker, same client library: the
 * same messages published in a raw pipelined loop with no log reading, no checkpoint, no batching. For each broker
 * that is reachable (NATS at 127.0.0.1:4222, RabbitMQ at 127.0.0.1:5672, or BENCH_NATS_URL / BENCH_AMQP_URL); a
 * broker that is not is reported as skipped.
 *
 * And, for NATS, end-to-end latency at a fixed offered load: placeOrder sent over HTTP to a server started with
 * BUS_URL (a second instance on the same database: it leads the relay) → the OrderPlaced message received by a
 * JetStream consumer in this process, matched by correlationId. Baseline, same run, same broker: a message
 * published straight to JetStream → received by the same kind of consumer, at the same rate.
 */
const BROKERS = [
  { kind: 'nats', url: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' },
  { kind: 'amqp', url: process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
] as const;
const BATCH = 500;
const LATENCY: Record<Mode, { rate: number; durationMs: number }> = {
  quick: { rate: 20, durationMs: 3_000 },
  full: { rate: 100, durationMs: 15_000 },
};
const RAW_WINDOW = 256;

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** The log, all of it (the relay's work), read once for the raw baseline. */
async function wholeLog(store: ReturnType<typeof createEventStore>): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let after = 0n; ;) {
    const page = await store.readLog(after, 5000);
    events.push(...page.events);
    if (page.events.length === 0) return events;
    after = page.events.at(-1)!.position;
  }
}

async function rawNats(url: string, events: readonly StoredEvent[]): Promise<number> {
  const nc = await natsConnect({ servers: url });
  try {
    const js = nc.jetstream();
    const started = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (const event of events) {
      const message = busMessage(event, PERSONAL_FIELDS);
      const ack = js.publish(message.subject, message.body, { msgID: `raw-${message.id}` });
      inFlight.add(ack);
      void ack.finally(() => inFlight.delete(ack));
      if (inFlight.size >= RAW_WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    return performance.now() - started;
  } finally {
    await nc.close();
  }
}

async function rawAmqp(url: string, events: readonly StoredEvent[]): Promise<number> {
  const connection = await amqpConnect(url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange('orderstream.events', 'topic', { durable: true });
    const started = performance.now();
    for (const event of events) {
      const message = busMessage(event, PERSONAL_FIELDS);
      const ok = channel.publish('orderstream.events', message.routingKey, message.body, {
        persistent: true,
        messageId: message.id,
      });
      if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
    }
    await channel.waitForConfirms();
    const ms = performance.now() - started;
    await channel.close();
    return ms;
  } finally {
    await connection.close();
  }
}

async function relayRun(context: BenchContext, url: string, expected: number): Promise<number> {
  const logger = pino({ level: 'silent' });
  const pool = createPool(context.databaseUrl, 4);
  const prisma = createPrisma(pool);
  const notifier = new Notifier(pool, connectionConfig(context.databaseUrl), logger);
  const leadership = new Leadership(connectionConfig(context.databaseUrl), logger);
  const store = createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS);
  const relay = new Relay({
    prisma,
    store,
    checkpoints: notifier.channel(CHECKPOINTS_CHANNEL),
    leadership,
    publisher: createPublisher(url, {
      logger,
      personalFields: PERSONAL_FIELDS,
      retentionMs: loadConfig({ BUS_URL: url }).bus!.retentionMs,
    }),
    logger,
    options: { batchSize: BATCH, pollMs: 50, retryMs: 100, maxRetryMs: 1000 },
  });
  try {
    // From the start of the log, whatever an earlier run left.
    await relay.restartFrom(0n);
    const started = performance.now();
    relay.start();
    for (;;) {
      const report = await relay.report();
      if (report.lastError) throw new Error(`relay: ${report.lastError}`);
      if (report.lag === 0 && report.position > 0n) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ms = performance.now() - started;
    context.progress.info(`relay published ${expected.toLocaleString()} events`);
    return ms;
  } finally {
    await relay.stop();
    await leadership.close();
    await notifier.close();
    await prisma.$disconnect();
    await pool.end();
  }
}

/** Receive times by correlationId, from an ordered consumer on `subject` that starts at the stream's end. */
async function receiveTimes(url: string, subject: string) {
  const nc = await natsConnect({ servers: url });
  const consumer = await nc
    .jetstream()
    .consumers.get('ORDERSTREAM', { filterSubjects: subject, deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume();
  const received = new Map<string, number>();
  const reading = (async () => {
    for await (const message of messages) {
      const { metadata } = message.json<{ metadata: { correlationId: string } }>();
      received.set(metadata.correlationId, performance.now());
    }
  })();
  return {
    received,
    async close() {
      await messages.close();
      await reading.catch(() => undefined);
      await nc.close();
    },
  };
}

/** Sent → received, per correlation id, of the `sent` that arrived; the count of those that did not. */
function latencies(sent: Map<string, number>, received: Map<string, number>) {
  const samples = [...sent].filter(([id]) => received.has(id)).map(([id, at]) => received.get(id)! - at);
  return { ms: rounded(summarize(samples)), missing: sent.size - samples.length };
}

const randomId = () => Math.random().toString(36).slice(2, 10);

async function natsLatency(context: BenchContext, url: string): Promise<Figure[]> {
  const { rate, durationMs } = LATENCY[context.mode];
  const server = await startServer({ databaseUrl: context.databaseUrl, env: { BUS_URL: url } });
  try {
    const gql = graphqlClient(server.graphqlUrl, { authorization: server.authorization });
    const customer = await gql<{ registerCustomer: { aggregateId: string } }>(
      'mutation { registerCustomer(input: { name: "Bus bench", email: "bus@example.com" }) { aggregateId } }',
    );
    const customerId = customer.registerCustomer.aggregateId;
    const service = await receiveTimes(url, 'orderstream.Order.OrderPlaced');
    const sent = new Map<string, number>();
    try {
      const run = randomId();
      await openLoop({
        ratePerSecond: rate,
        durationMs,
        send: (i) => {
          const correlationId = `bus-bench-${run}-${i}`;
          sent.set(correlationId, performance.now());
          void gql(
            'mutation ($c: ID!, $k: ID!) { placeOrder(input: { customerId: $c, correlationId: $k, items: [{ productId: "b", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }',
            { c: customerId, k: correlationId },
          ).catch(() => undefined);
        },
      });
      await waitFor(() => [...sent.keys()].every((id) => service.received.has(id)), { timeoutMs: 30_000 });
    } finally {
      await service.close();
    }
    const raw = await receiveTimes(url, 'orderstream.BenchRaw.Ping');
    const rawSent = new Map<string, number>();
    const nc = await natsConnect({ servers: url });
    try {
      const js = nc.jetstream();
      const run = randomId();
      await openLoop({
        ratePerSecond: rate,
        durationMs,
        send: (i) => {
          const correlationId = `bus-raw-${run}-${i}`;
          rawSent.set(correlationId, performance.now());
          void js
            .publish('orderstream.BenchRaw.Ping', JSON.stringify({ metadata: { correlationId } }))
            .catch(() => undefined);
        },
      });
      await waitFor(() => [...rawSent.keys()].every((id) => raw.received.has(id)), { timeoutMs: 30_000 });
    } finally {
      await raw.close();
      await nc.close();
    }
    const ofService = latencies(sent, service.received);
    const ofRaw = latencies(rawSent, raw.received);
    context.progress.done(
      `nats @${rate}/s: mutation → consumer p50 ${ofService.ms.p50} ms, p99 ${ofService.ms.p99} ms ` +
        `(${ofService.missing} missing); raw publish → consumer p50 ${ofRaw.ms.p50} ms`,
    );
    return (['p50', 'p99'] as const).map((q) =>
      figure('bus', `nats.latency.${q}`, `  sent → bus consumer ${q} @${rate}/s (nats)`, ofService.ms[q], 'ms', {
        label: 'raw publish → consumer',
        value: ofRaw.ms[q],
        unit: 'ms',
      }),
    );
  } finally {
    await server.stop();
  }
}

export const busStage: Stage = {
  name: 'bus',
  estimateSeconds: () => 20,
  async run(context) {
    const pool = createPool(context.databaseUrl, 2);
    const prisma = createPrisma(pool);
    const notifier = new Notifier(pool, connectionConfig(context.databaseUrl), pino({ level: 'silent' }));
    let events: StoredEvent[];
    try {
      events = await wholeLog(createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS));
    } finally {
      await notifier.close();
      await prisma.$disconnect();
      await pool.end();
    }
    const figures: Figure[] = [];
    const notes: string[] = [];
    for (const broker of BROKERS) {
      if (!(await reachable(broker.url))) {
        notes.push(`bus stage: ${broker.kind} skipped, nothing listens at ${broker.url}`);
        continue;
      }
      const relayMs = await relayRun(context, broker.url, events.length);
      const rawMs = broker.kind === 'nats' ? await rawNats(broker.url, events) : await rawAmqp(broker.url, events);
      const rate = (ms: number) => (events.length * 1000) / ms;
      context.progress.done(
        `${broker.kind}: relay ${rate(relayMs).toFixed(0)} events/s, raw publish ${rate(rawMs).toFixed(0)} events/s`,
      );
      figures.push(
        figure(
          'bus',
          `${broker.kind}.relay`,
          `relay to ${broker.kind}, ${events.length.toLocaleString()} events`,
          rate(relayMs),
          'events/s',
          {
            label: `raw pipelined publish, same client`,
            value: rate(rawMs),
            unit: 'events/s',
          },
        ),
      );
    }
    if (figures.some((f) => f.id === 'bus.nats.relay')) figures.push(...(await natsLatency(context, BROKERS[0].url)));
    return { figures, notes };
  },
};
