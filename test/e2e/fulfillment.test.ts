import { connect as amqpConnect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  connect as natsConnect,
  nanos,
  StorageType,
  type JetStreamManager,
  type NatsConnection,
  type NatsError,
} from 'nats';
import { shipmentKeys } from '../../fulfillment/command-keys';
import { ConfigError, loadFulfillmentConfig } from '../../fulfillment/config';
import type { Settled } from '../../fulfillment/consumer';
import type { FulfillmentHooks } from '../../fulfillment/fulfill';
import { EXCHANGE, queueName, ROUTING_KEY } from '../../fulfillment/rabbitmq-consumer';
import { STREAM, SUBJECT } from '../../fulfillment/nats-consumer';
import { startFulfillment, type Fulfillment } from '../../fulfillment/service';
import { AMQP_URL, describeIfAvailable, listening, NATS_URL, TcpCutter } from '../support/brokers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/server';

const METRICS_TOKEN = 'fulfillment-metrics-token-0123456789';

// The fulfillment service (fulfillment/README.md) against real brokers, a real orderstream server and a real inbox
// database. The relay is not involved: each test places a real order, reads its real OrderPaid envelope from the
// server's `events` query and publishes it to the broker in the bus contract's format itself, so the consumer
// (unique per test, starting at new messages) sees only events of orders this file placed.

const EVENT = `eventId eventType aggregateId aggregateType version position timestamp schemaVersion payload
  metadata { correlationId causationId userId }`;

type Envelope = {
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateType: string;
  version: number;
  position: string;
  timestamp: string;
  schemaVersion: number;
  payload: Record<string, unknown>;
  /** On the bus only: the payload's personal fields the relay left out (none, for an OrderPaid). */
  personalDataOmitted?: string[];
  metadata: { correlationId: string; causationId: string; userId: string | null };
};

/** The test's side of one broker: it publishes as orderstream's relay would, and removes what a test left. */
type Bus = {
  publish(body: Buffer, id: string): Promise<void>;
  /** Whether the durable consumer (NATS) or queue (RabbitMQ) of this consumer name exists. */
  exists(consumer: string): Promise<boolean>;
  /** Deletes the durable consumer (NATS) or queue (RabbitMQ) the service made under this consumer name. */
  forget(consumer: string): Promise<void>;
  close(): Promise<void>;
};

async function openNats(): Promise<Bus> {
  const nc: NatsConnection = await natsConnect({ servers: NATS_URL });
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm);
  const js = nc.jetstream();
  return {
    async publish(body, id) {
      // msgID is the Nats-Msg-Id header: the stream drops a second publish with it inside the duplicate window.
      await js.publish(SUBJECT, body, { msgID: id });
    },
    exists: (consumer) =>
      jsm.consumers.info(STREAM, consumer).then(
        () => true,
        () => false,
      ),
    async forget(consumer) {
      await jsm.consumers.delete(STREAM, consumer).catch(() => undefined);
    },
    close: () => nc.close(),
  };
}

/** The stream as the contract defines it, unless the relay (or another run) made it already. */
async function ensureStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(STREAM);
  } catch (error) {
    if ((error as NatsError).api_error?.err_code !== 10059) throw error;
    await jsm.streams
      .add({ name: STREAM, subjects: ['orderstream.>'], storage: StorageType.File, duplicate_window: nanos(120_000) })
      .catch(() => jsm.streams.info(STREAM)); // created meanwhile by someone else: fine if it exists now
  }
}

async function openRabbit(): Promise<Bus> {
  const model: ChannelModel = await amqpConnect(AMQP_URL);
  const channel: ConfirmChannel = await model.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  return {
    async publish(body, id) {
      channel.publish(EXCHANGE, ROUTING_KEY, body, {
        persistent: true,
        messageId: id,
        contentType: 'application/json',
      });
      await channel.waitForConfirms();
    },
    async exists(consumer) {
      // A channel of its own: checking a queue that does not exist closes the channel that asked.
      const probe = await model.createChannel();
      probe.on('error', () => undefined);
      try {
        await probe.checkQueue(queueName(consumer));
        await probe.close();
        return true;
      } catch {
        return false;
      }
    },
    async forget(consumer) {
      await channel.deleteQueue(queueName(consumer));
    },
    close: () => model.close(),
  };
}

let server: TestServer;
let inboxDb: TestDatabase;
let customerId: string;

// One orderstream server and one inbox database for the file: the inbox in a database of its own, as a separately
// deployed service would have it.
beforeAll(async () => {
  if (!listening(NATS_URL) && !listening(AMQP_URL)) return;
  [server, inboxDb] = await Promise.all([startTestServer(), createTestDatabase()]);
  const res = await server.gql(
    'mutation { registerCustomer(input: { name: "Grace Hopper", email: "grace@example.com" }) { aggregateId } }',
  );
  customerId = res.data!.registerCustomer.aggregateId;
});
afterAll(async () => {
  await server?.close();
  await inboxDb?.drop();
});

const ok = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  server.ok(query, variables, headers);

/**
 * A placed and paid order, and its OrderPaid envelope as the relay publishes it: as the events query serves it, with
 * no personal field to leave out.
 */
async function paidOrder(correlationId = `checkout-${randomUUID()}`): Promise<Envelope> {
  const placed = await ok(`mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`, {
    input: { customerId, items: [{ productId: 'lamp', quantity: 1, unitPrice: '49.90' }] },
  });
  const orderId = placed.placeOrder.aggregateId as string;
  await ok(`mutation ($input: PayOrderInput!) { payOrder(input: $input) { version } }`, {
    input: { orderId, correlationId },
  });
  const [paid] = await eventsOf(orderId, 'OrderPaid');
  expect(paid).toBeDefined();
  return { ...paid!, personalDataOmitted: [] };
}

async function eventsOf(orderId: string, eventType: string): Promise<Envelope[]> {
  const data = await ok(`query ($filter: EventFilter) { events(filter: $filter, first: 100) { nodes { ${EVENT} } } }`, {
    filter: { aggregateId: orderId, eventTypes: [eventType] },
  });
  return data.events.nodes;
}

async function orderStatus(orderId: string): Promise<string> {
  return (await ok('query ($id: ID!) { order(id: $id) { status } }', { id: orderId })).order.status;
}

async function inboxRow(eventId: string) {
  const client = new Client({ connectionString: inboxDb.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT order_id, outcome FROM fulfillment_inbox WHERE event_id = $1', [
      eventId,
    ]);
    return rows[0] as { order_id: string; outcome: string } | undefined;
  } finally {
    await client.end();
  }
}

const body = (envelope: unknown) => Buffer.from(JSON.stringify(envelope));

/** A running service, what it received and settled (in order), and how many shipOrder calls it made. */
type Running = {
  service: Fulfillment;
  settled: Settled[];
  /** The eventIds of the valid OrderPaid messages it has had in hand, in order. */
  received: string[];
  calls: () => number;
  consumer: string;
};

const brokers = [
  { name: 'NATS JetStream', url: NATS_URL, open: openNats },
  { name: 'RabbitMQ', url: AMQP_URL, open: openRabbit },
] as const;

for (const broker of brokers) {
  describeIfAvailable(listening(broker.url), `${broker.name} at ${broker.url}`)(`consuming from ${broker.name}`, () => {
    let bus: Bus;
    const running: Running[] = [];
    beforeAll(async () => {
      bus = await broker.open();
    });
    afterEach(async () => {
      const stopped = running.splice(0);
      for (const r of stopped) await r.service.stop();
      for (const consumer of new Set(stopped.map((r) => r.consumer))) await bus.forget(consumer);
    });
    afterAll(() => bus?.close());

    /** Starts the service in-process with a consumer name of its own; `fetch` and `hooks` are the test's seams. */
    async function start(
      options: {
        delayMs?: number;
        hooks?: FulfillmentHooks;
        fetch?: typeof fetch;
        consumer?: string;
        busUrl?: string;
      } = {},
    ): Promise<Running> {
      const consumer = options.consumer ?? `fulfillment_test_${randomBytes(6).toString('hex')}`;
      const config = loadFulfillmentConfig({
        BUS_URL: options.busUrl ?? broker.url,
        ORDERSTREAM_URL: server.app.url,
        // As an operator gives it one: the service never holds the secret it was signed with.
        FULFILLMENT_TOKEN: await server.token({ role: 'staff', sub: 'fulfillment' }),
        FULFILLMENT_DATABASE_URL: inboxDb.url,
        FULFILLMENT_CONSUMER: consumer,
        FULFILLMENT_START: 'new',
        FULFILLMENT_DELAY_MS: String(options.delayMs ?? 20),
        FULFILLMENT_RETRY_BASE_MS: '20',
        FULFILLMENT_RETRY_MAX_MS: '200',
        LOG_LEVEL: process.env.FULFILLMENT_TEST_LOG_LEVEL ?? 'silent',
        PORT: '0',
        METRICS_TOKEN,
      });
      const settled: Settled[] = [];
      const received: string[] = [];
      let calls = 0;
      const send = options.fetch ?? fetch;
      const service = await startFulfillment(config, {
        hooks: { ...options.hooks, received: (event) => received.push(event.eventId) },
        observe: (s) => settled.push(s),
        fetch: (input, init) => {
          calls += 1;
          return send(input, init);
        },
      });
      const r = { service, settled, received, calls: () => calls, consumer };
      running.push(r);
      return r;
    }

    /** What became of one event, in order: `ack:shipped`, `retry`, `reject`, … (only what the broker heard). */
    const fates = (r: Running, eventId: string) =>
      r.settled
        .filter((s) => s.decision.eventId === eventId && s.settled)
        .map((s) => (s.decision.action === 'ack' ? `ack:${s.decision.outcome}` : s.decision.action));

    it('ships a paid order after the delay, carrying its correlationId over and naming the OrderPaid event as cause', async () => {
      const delayMs = 400;
      const r = await start({ delayMs });
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);

      await eventually(async () => expect(await orderStatus(paid.aggregateId)).toBe('SHIPPED'), 15_000);
      const shipped = await eventsOf(paid.aggregateId, 'OrderShipped');
      expect(shipped).toHaveLength(1);
      expect(shipped[0]!.metadata).toEqual({
        correlationId: paid.metadata.correlationId,
        causationId: paid.eventId,
        userId: 'fulfillment',
      });
      expect(Date.parse(shipped[0]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(paid.timestamp) + delayMs);
      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:shipped']));
      expect(await inboxRow(paid.eventId)).toEqual({ order_id: paid.aggregateId, outcome: 'shipped' });
    });

    it("ships a customer's paid order although the customer used its OrderPaid eventId as a commandId first", async () => {
      const r = await start();
      const customer = await server.as({ role: 'customer', customerId, sub: `grace-${randomUUID()}` });
      const placed = await ok(
        `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`,
        { input: { customerId, items: [{ productId: 'lamp', quantity: 1, unitPrice: '49.90' }] } },
        customer,
      );
      const orderId = placed.placeOrder.aggregateId as string;
      const correlationId = `checkout-${randomUUID()}`;
      await ok(
        `mutation ($input: PayOrderInput!) { payOrder(input: $input) { version } }`,
        { input: { orderId, correlationId } },
        customer,
      );
      const [paid] = await eventsOf(orderId, 'OrderPaid');
      // The key the service will ship under, claimed first by the customer for a command of their own.
      await ok(
        `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`,
        {
          input: {
            customerId,
            items: [{ productId: 'bulb', quantity: 1, unitPrice: '2.00' }],
            commandId: paid!.eventId,
          },
        },
        customer,
      );
      await bus.publish(body(paid), paid!.eventId);

      await eventually(async () => expect(fates(r, paid!.eventId)).toEqual(['ack:shipped']), 15_000);
      const [shipped] = await eventsOf(orderId, 'OrderShipped');
      expect(shipped!.metadata).toMatchObject({ causationId: paid!.eventId, userId: 'fulfillment' });
      // Staff's events carry the customer's correlationId in the customer's namespace; the customer sees theirs.
      expect(shipped!.metadata.correlationId).toBe(`${customerId}:${correlationId}`);
      const seen = await ok(
        `query ($filter: EventFilter) { events(filter: $filter) { nodes { eventType metadata { correlationId } } } }`,
        { filter: { correlationId } },
        customer,
      );
      expect(seen.events.nodes).toEqual([
        { eventType: 'OrderPaid', metadata: { correlationId } },
        { eventType: 'OrderShipped', metadata: { correlationId } },
      ]);
    });

    it('ships under a key derived from the event when its own identity used the eventId for another command', async () => {
      const r = await start();
      const paid = await paidOrder();
      await ok(
        `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`,
        {
          input: {
            customerId,
            items: [{ productId: 'bulb', quantity: 1, unitPrice: '2.00' }],
            commandId: paid.eventId,
          },
        },
        await server.as({ role: 'staff', sub: 'fulfillment' }),
      );
      await bus.publish(body(paid), paid.eventId);

      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:shipped']), 15_000);
      expect(r.calls()).toBe(2);
      const shipped = await eventsOf(paid.aggregateId, 'OrderShipped');
      expect(shipped).toHaveLength(1);
      expect(shipped[0]!.metadata.causationId).toBe(shipmentKeys(paid.eventId)[1]);
      expect(await inboxRow(paid.eventId)).toEqual({ order_id: paid.aggregateId, outcome: 'shipped' });
    });

    it('acknowledges a second delivery of the same event from its inbox, without calling orderstream again', async () => {
      const r = await start();
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);
      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:shipped']), 15_000);

      // At-least-once: the same envelope again, as a relay republishing after a crash would send it. (NATS would
      // drop a second publish with the same Nats-Msg-Id inside the stream's duplicate window, so the copy gets
      // another message id there; the consumer goes by the eventId in the body.)
      await bus.publish(body(paid), broker.name === 'RabbitMQ' ? paid.eventId : `${paid.eventId}:again`);
      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:shipped', 'ack:duplicate']), 15_000);
      expect(r.calls()).toBe(1);
      expect(await eventsOf(paid.aggregateId, 'OrderShipped')).toHaveLength(1);
    });

    it('ships once when it crashes between the shipOrder call and the inbox insert and the event comes again', async () => {
      const answers: string[][] = [];
      const r = await start({
        hooks: {
          afterShip(_event, result) {
            answers.push(result.kind === 'shipped' ? result.eventIds : [result.kind]);
            if (answers.length === 1) throw new Error('simulated crash: shipped, but the inbox row is not written');
          },
        },
      });
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);

      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['retry', 'ack:shipped']), 15_000);
      // The repeat call carried the same commandId: orderstream answered with the first result, appending nothing.
      expect(r.calls()).toBe(2);
      const shipped = await eventsOf(paid.aggregateId, 'OrderShipped');
      expect(shipped).toHaveLength(1);
      expect(answers).toEqual([[shipped[0]!.eventId], [shipped[0]!.eventId]]);
      expect(await inboxRow(paid.eventId)).toEqual({ order_id: paid.aggregateId, outcome: 'shipped' });
    });

    it('records a refusal (the order was cancelled meanwhile) and acknowledges it, without retrying', async () => {
      const r = await start();
      const paid = await paidOrder();
      await ok(`mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { version } }`, {
        input: { orderId: paid.aggregateId, reason: 'changed my mind' },
      });
      await bus.publish(body(paid), paid.eventId);

      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:refused']), 15_000);
      expect(await inboxRow(paid.eventId)).toEqual({
        order_id: paid.aggregateId,
        outcome: 'refused:BUSINESS_RULE_VIOLATION:SHIP_ONLY_WHEN_PAID',
      });
      expect(r.calls()).toBe(1);
      expect(await orderStatus(paid.aggregateId)).toBe('CANCELLED');
      expect(await eventsOf(paid.aggregateId, 'OrderShipped')).toEqual([]);
    });

    it('does not acknowledge a 5xx answer: the event comes back after a backoff and ships once', async () => {
      let failures = 2;
      const r = await start({
        fetch: (input, init) =>
          failures-- > 0 ? Promise.resolve(new Response('upstream unavailable', { status: 503 })) : fetch(input, init),
      });
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);

      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['retry', 'retry', 'ack:shipped']), 15_000);
      const attempts = r.settled.filter((s) => s.decision.eventId === paid.eventId).map((s) => s.attempt);
      expect(attempts).toEqual([1, 2, 3]);
      expect(await eventsOf(paid.aggregateId, 'OrderShipped')).toHaveLength(1);
    });

    it('serves /healthz, /readyz and /metrics: what it holds, orders shipped and refused, messages redelivered', async () => {
      const figures = async (r: Running) => {
        const res = await fetch(`${r.service.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        const text = await res.text();
        return (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      };
      // Held in hand until its shipping time, a minute away: the depth shows it.
      const slow = await start({ delayMs: 60_000 });
      expect(await (await fetch(`${slow.service.url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${slow.service.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${slow.service.url}/metrics`)).status).toBe(401);
      const held = await paidOrder();
      await bus.publish(body(held), held.eventId);
      await eventually(async () => expect((await figures(slow))('fulfillment_inbox_depth')).toBe(1), 15_000);
      await slow.service.stop();

      // Shipped after a 503 and its redelivery; refused once cancelled.
      let failures = 1;
      const r = await start({
        fetch: (input, init) =>
          failures-- > 0 ? Promise.resolve(new Response('upstream unavailable', { status: 503 })) : fetch(input, init),
      });
      expect((await figures(r))('fulfillment_shipped_total')).toBe(0);
      const paid = await paidOrder();
      const cancelled = await paidOrder();
      await ok(`mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { version } }`, {
        input: { orderId: cancelled.aggregateId, reason: 'changed my mind' },
      });
      await bus.publish(body(paid), paid.eventId);
      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['retry', 'ack:shipped']), 15_000);
      await bus.publish(body(cancelled), cancelled.eventId);
      await eventually(async () => expect(fates(r, cancelled.eventId)).toEqual(['ack:refused']), 15_000);
      const after = await figures(r);
      expect(after('fulfillment_shipped_total')).toBe(1);
      expect(after('fulfillment_refused_total')).toBe(1);
      expect(after('fulfillment_redelivered_total')).toBe(1);
      expect(after('fulfillment_inbox_depth')).toBe(0);
    });

    it('rejects a message that is not an OrderPaid envelope for good, and goes on with the next', async () => {
      const r = await start();
      // JSON, so that other readers of the shared stream or exchange can skip it by its fields.
      const bogus = { eventId: randomUUID(), eventType: 'OrderPaid', aggregateType: 'Order', note: 'no envelope' };
      await bus.publish(body(bogus), bogus.eventId);
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);

      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:shipped']), 15_000);
      await eventually(async () => expect(fates(r, bogus.eventId)).toEqual(['reject']));
      expect(await inboxRow(bogus.eventId)).toBeUndefined();
    });

    it('gives back a message still waiting for its shipping time when stopped, and the next instance ships it', async () => {
      const first = await start({ delayMs: 60_000 });
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);
      await eventually(async () => expect(first.received).toEqual([paid.eventId]));

      const stopping = Date.now();
      await first.service.stop();
      expect(Date.now() - stopping).toBeLessThan(5_000);
      expect(fates(first, paid.eventId)).toEqual(['abandon']);
      expect(first.calls()).toBe(0);

      const second = await start({ consumer: first.consumer });
      await eventually(async () => expect(fates(second, paid.eventId)).toEqual(['ack:shipped']), 15_000);
      expect(await eventsOf(paid.aggregateId, 'OrderShipped')).toHaveLength(1);
    });

    it('puts its durable consumer back when it is deleted under it, and goes on shipping', async () => {
      const r = await start();
      await bus.forget(r.consumer);
      // Events published while it is gone are not its to have (it starts at new messages, or has no queue yet).
      await eventually(async () => expect(await bus.exists(r.consumer)).toBe(true), 15_000);
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);
      await eventually(async () => expect(fates(r, paid.eventId)).toEqual(['ack:shipped']), 15_000);
    });

    it('ships once when its connection to the broker is cut while a message is in hand', async () => {
      const target = new URL(broker.url);
      const cutter = await TcpCutter.create({ host: target.hostname, port: Number(target.port) });
      try {
        const through = new URL(broker.url);
        through.port = String(cutter.port);
        const r = await start({ delayMs: 1000, busUrl: through.toString() });
        const paid = await paidOrder();
        await bus.publish(body(paid), paid.eventId);
        await eventually(async () => expect(r.received).toEqual([paid.eventId]));

        cutter.cut();
        // The ack goes through the new connection (NATS), or the broker requeues what the old channel held and
        // the copy meets the inbox, or both copies are in hand at once and share the commandId (RabbitMQ): in
        // every case an acknowledgment the broker heard, and one OrderShipped.
        await eventually(
          async () => expect(fates(r, paid.eventId).filter((f) => f.startsWith('ack:'))).not.toEqual([]),
          15_000,
        );
        expect(await eventsOf(paid.aggregateId, 'OrderShipped')).toHaveLength(1);
        expect(await inboxRow(paid.eventId)).toEqual({ order_id: paid.aggregateId, outcome: 'shipped' });
      } finally {
        // The service first: the relay's close waits for the connections through it to end.
        for (const each of running) await each.service.stop();
        await cutter.close();
      }
    });

    it('keeps events paid while it is stopped (a durable consumer) and ships them when it starts again', async () => {
      const first = await start();
      await first.service.stop();
      const paid = await paidOrder();
      await bus.publish(body(paid), paid.eventId);

      const second = await start({ consumer: first.consumer });
      await eventually(async () => expect(fates(second, paid.eventId)).toEqual(['ack:shipped']), 15_000);
      expect(await eventsOf(paid.aggregateId, 'OrderShipped')).toHaveLength(1);
    });
  });
}

describe('configuration', () => {
  const base = { BUS_URL: 'nats://127.0.0.1:4222', FULFILLMENT_TOKEN: 'given', DATABASE_URL: 'postgres://x/y' };

  it('needs a staff token and a database for the inbox, and says which variable is missing', () => {
    expect(() => loadFulfillmentConfig({ ...base, FULFILLMENT_TOKEN: undefined })).toThrow(
      new ConfigError(
        'Missing environment variable FULFILLMENT_TOKEN: the staff token the service calls shipOrder with ' +
          '(npm run -s token -- --role staff --sub fulfillment --expires 30d)',
      ),
    );
    expect(() => loadFulfillmentConfig({ ...base, DATABASE_URL: undefined })).toThrow(/FULFILLMENT_DATABASE_URL/);
    expect(() => loadFulfillmentConfig({ ...base, BUS_URL: 'kafka://x' })).toThrow(
      /^Invalid environment variable BUS_URL/,
    );
  });

  it("refuses orderstream's signing secret, with or without a token beside it", () => {
    for (const env of [
      { ...base, AUTH_JWT_SECRET: TEST_JWT_SECRET },
      { ...base, FULFILLMENT_TOKEN: undefined, AUTH_JWT_SECRET: TEST_JWT_SECRET },
    ]) {
      expect(() => loadFulfillmentConfig(env)).toThrow(
        new ConfigError(
          "Refusing AUTH_JWT_SECRET: the fulfillment service must not hold orderstream's signing secret; unset it and " +
            'give the service FULFILLMENT_TOKEN, a staff token (npm run -s token -- --role staff --sub fulfillment --expires 30d)',
        ),
      );
    }
  });

  it("takes the token as given, and the inbox database before orderstream's", () => {
    const config = loadFulfillmentConfig({
      ...base,
      FULFILLMENT_DATABASE_URL: 'postgres://inbox/db',
      BUS_URL: 'amqp://guest:guest@127.0.0.1:5672',
    });
    expect(config).toMatchObject({
      bus: 'amqp',
      token: 'given',
      databaseUrl: 'postgres://inbox/db',
      orderstreamUrl: 'http://127.0.0.1:4000',
      delayMs: 2000,
      consumer: 'fulfillment',
    });
  });
});
