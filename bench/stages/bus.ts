import net from 'node:net';
import { connect as amqpConnect } from 'amqplib';
import { connect as natsConnect } from 'nats';
import pino from 'pino';
import { busMessage } from '../../src/bus/envelope';
import { createPublisher } from '../../src/bus/publisher';
import { connectionConfig, createPool } from '../../src/db/pool';
import { createPrisma } from '../../src/db/prisma';
import {
  createEventStore,
  EVENTS_CHANNEL,
  Notifier,
  CHECKPOINTS_CHANNEL,
  type StoredEvent,
} from '../../src/eventstore';
import { Leadership } from '../../src/projections/leadership';
import { Relay } from '../../src/relay/relay';
import { EVENT_SCHEMAS } from '../../src/slices';
import { figure, type BenchContext, type Figure, type Stage } from './types';

/**
 * The relay's throughput (issue 12): the service's own Relay, run in this process against the run's database
 * (the log the earlier stages wrote), publishing the whole log from position 0 to a real broker and waiting for
 * its acknowledgements, checkpoint after each batch. Baseline, same run, same broker, same client library: the
 * same messages published in a raw pipelined loop with no log reading, no checkpoint, no batching. For each broker
 * that is reachable (NATS at 127.0.0.1:4222, RabbitMQ at 127.0.0.1:5672, or BENCH_NATS_URL / BENCH_AMQP_URL); a
 * broker that is not is reported as skipped. Mutation-to-consumer latency at a fixed load is not measured yet.
 */
const BROKERS = [
  { kind: 'nats', url: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222' },
  { kind: 'amqp', url: process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
] as const;
const BATCH = 500;
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
      const message = busMessage(event);
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
      const message = busMessage(event);
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
  const store = createEventStore(prisma, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS);
  const relay = new Relay({
    prisma,
    store,
    checkpoints: notifier.channel(CHECKPOINTS_CHANNEL),
    leadership,
    publisher: createPublisher(url, { logger }),
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

export const busStage: Stage = {
  name: 'bus',
  estimateSeconds: () => 20,
  async run(context) {
    const pool = createPool(context.databaseUrl, 2);
    const prisma = createPrisma(pool);
    const notifier = new Notifier(pool, connectionConfig(context.databaseUrl), pino({ level: 'silent' }));
    let events: StoredEvent[];
    try {
      events = await wholeLog(createEventStore(prisma, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS));
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
    return { figures, notes };
  },
};
