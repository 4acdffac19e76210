import { connect as amqpConnect } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { connect as natsConnect, nanos, StorageType, type NatsConnection } from 'nats';
import {
  AMQP_URL as AMQP,
  amqpAvailable,
  describeIfAvailable,
  NATS_URL as NATS,
  natsAvailable,
  natsServerAvailable,
  PrivateNatsServer,
} from '../support/brokers';
import { eventually } from '../support/eventually';
import { DUPLICATE_WINDOW_MS, STREAM } from '../../src/bus/nats-publisher';
import { startTestServer, type TestServer } from '../support/server';

// The relay (docs/api.md, "The event bus"): the real server with BUS_URL set publishes every event of its log, in log order, to a
// real broker. Each test reads back what the broker holds for the orders it placed itself.

type Received = { id: string; aggregateId: string; version: number; eventType: string };

/** Places `orders` orders from `clients` concurrent clients, each paid: the events the relay must publish. */
async function placeOrders(server: TestServer, clients: number, orders: number): Promise<string[]> {
  const customer = await server.gql(
    'mutation { registerCustomer(input: { name: "Bus", email: "bus@example.com" }) { aggregateId } }',
  );
  const customerId = customer.data!.registerCustomer.aggregateId as string;
  const placed: string[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (placed.length < orders) {
        const res = await server.gql(
          'mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "b", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }',
          { c: customerId },
        );
        const orderId = res.data!.placeOrder.aggregateId as string;
        placed.push(orderId);
        await server.gql('mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }', { id: orderId });
      }
    }),
  );
  return [customerId, ...placed];
}

/** Every event of these aggregates exactly once, each aggregate's in version order. */
function expectEachOnceInOrder(received: Received[], expectedIds: Set<string>): void {
  const ids = received.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(new Set(ids)).toEqual(expectedIds);
  const versions = new Map<string, number[]>();
  for (const r of received) versions.set(r.aggregateId, [...(versions.get(r.aggregateId) ?? []), r.version]);
  for (const list of versions.values()) expect(list).toEqual(list.map((_, i) => i + 1));
}

async function eventIdsOf(server: TestServer, aggregateIds: string[]): Promise<Set<string>> {
  const { rows } = await server.sql.query<{ event_id: string }>(
    'SELECT event_id FROM events WHERE aggregate_id = ANY($1)',
    [aggregateIds],
  );
  return new Set(rows.map((r) => r.event_id));
}

/** Every message of this stream whose aggregate is one of `mine`, until there are `count` of them. */
async function readNats(nc: NatsConnection, mine: Set<string>, count: number): Promise<Received[]> {
  // An ordered consumer over the whole stream (other tests' events are in it too, and skipped). No filter: one
  // equal to the stream's own subject made nats.js 2.29's ordered consumer deliver nothing.
  const consumer = await nc.jetstream().consumers.get('ORDERSTREAM');
  const received: Received[] = [];
  const messages = await consumer.consume();
  for await (const message of messages) {
    const body = message.json<{
      eventId: string;
      aggregateId: string;
      aggregateType: string;
      eventType: string;
      version: number;
    }>();
    if (mine.has(body.aggregateId)) {
      expect(message.subject).toBe(`orderstream.${body.aggregateType}.${body.eventType}`);
      expect(message.headers?.get('Nats-Msg-Id')).toBe(body.eventId);
      received.push({
        id: body.eventId,
        aggregateId: body.aggregateId,
        version: body.version,
        eventType: body.eventType,
      });
    }
    if (received.length >= count) break;
  }
  await messages.close();
  return received;
}

/**
 * A customer and an order whose events carry personal data (a name, an email, a cancellation's and a deactivation's
 * reasons), each value unique to this call, to search the broker's messages for.
 */
async function personalTrail(server: TestServer): Promise<{ secrets: string[]; aggregates: string[] }> {
  const tag = randomUUID();
  const [name, email, cancelled, deactivated] = [
    `Private Person ${tag}`,
    `private.${tag}@example.com`,
    `Cancelled because ${tag} moved house`,
    `Closed at the request of ${tag}`,
  ];
  const customer = await server.gql(
    'mutation ($n: String!, $e: String!) { registerCustomer(input: { name: $n, email: $e }) { aggregateId } }',
    { n: name, e: email },
  );
  const customerId = customer.data!.registerCustomer.aggregateId as string;
  const order = await server.gql(
    'mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "2.00" }] }) { aggregateId } }',
    { c: customerId },
  );
  const orderId = order.data!.placeOrder.aggregateId as string;
  const done = await server.gql(
    `mutation ($o: ID!, $r: String!, $c: ID!, $d: String!) {
      cancelOrder(input: { orderId: $o, reason: $r }) { version }
      deactivateCustomer(input: { customerId: $c, reason: $d }) { version }
    }`,
    { o: orderId, r: cancelled, c: customerId, d: deactivated },
  );
  expect(done.errors).toBeUndefined();
  // The API still serves them (to whoever the role table lets see them): the bus is what leaves them out.
  const served = await server.gql(
    'query ($c: ID!, $o: ID!) { c: events(filter: { aggregateId: $c }) { nodes { payload } } o: events(filter: { aggregateId: $o }) { nodes { payload } } }',
    { c: customerId, o: orderId },
  );
  const payloads = JSON.stringify(served.data);
  for (const secret of [name, email, cancelled, deactivated]) expect(payloads).toContain(secret);
  return { secrets: [name, email, cancelled, deactivated], aggregates: [customerId, orderId] };
}

/** The personal fields each of the trail's event types leaves out, as a consumer reads them off the envelope. */
const OMITTED: Record<string, string[]> = {
  CustomerRegistered: ['name', 'email'],
  CustomerDeactivated: ['reason'],
  OrderPlaced: [],
  OrderCancelled: ['reason'],
};

/** A message as raw text (body and headers): what a search for personal data must not find anything in. */
type RawMessage = {
  text: string;
  envelope: { eventId: string; eventType: string; aggregateId: string } & Record<string, unknown>;
};

function expectNoPersonalData(messages: RawMessage[], trail: { secrets: string[]; aggregates: string[] }): void {
  const found = messages.flatMap((m) =>
    trail.secrets.filter((secret) => m.text.includes(secret)).map((secret) => `${m.envelope.eventId}: ${secret}`),
  );
  expect(found).toEqual([]);
  const ours = messages.filter((m) => trail.aggregates.includes(m.envelope.aggregateId));
  expect(ours.map((m) => m.envelope.eventType).sort()).toEqual(Object.keys(OMITTED).sort());
  for (const { envelope } of ours) {
    const omitted = OMITTED[envelope.eventType]!;
    expect([envelope.eventType, envelope.personalDataOmitted]).toEqual([envelope.eventType, omitted]);
    for (const field of omitted) expect(envelope.payload).not.toHaveProperty(field);
  }
}

describeIfAvailable(natsAvailable(), `NATS at ${NATS}`)('to NATS JetStream', () => {
  let server: TestServer | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    server = await startTestServer({ BUS_URL: NATS, BUS_BATCH_SIZE: '7' });
    nc = await natsConnect({ servers: NATS });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
  });

  it('publishes every event once, per aggregate in order, under concurrent writers, to its subject with its id', async () => {
    const aggregates = await placeOrders(server!, 8, 40);
    const expected = await eventIdsOf(server!, aggregates);
    const received = await readNats(nc!, new Set(aggregates), expected.size);
    expectEachOnceInOrder(received, expected);
    const relays = await server!.gql('{ relays { name broker state lag runsHere position } }');
    expect(relays.data!.relays).toEqual([
      expect.objectContaining({ name: 'relay:nats', broker: 'nats', runsHere: true }),
    ]);
  });
});

describeIfAvailable(amqpAvailable(), `RabbitMQ at ${AMQP}`)('to RabbitMQ', () => {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer({ BUS_URL: AMQP, BUS_BATCH_SIZE: '7' });
  });
  afterAll(() => server?.close());

  it('publishes every event once, per aggregate in order, persistent, with its message id and routing key', async () => {
    const connection = await amqpConnect(AMQP);
    const channel = await connection.createChannel();
    try {
      await channel.assertExchange('orderstream.events', 'topic', { durable: true });
      const { queue } = await channel.assertQueue(`relay-test-${randomUUID()}`, { exclusive: true });
      await channel.bindQueue(queue, 'orderstream.events', '#');
      const received: Received[] = [];
      const problems: string[] = [];
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const body = JSON.parse(message.content.toString()) as {
            eventId: string;
            aggregateId: string;
            aggregateType: string;
            eventType: string;
            version: number;
          };
          if (message.fields.routingKey !== `${body.aggregateType}.${body.eventType}`) problems.push('routing key');
          if (message.properties.messageId !== body.eventId) problems.push('message id');
          if (message.properties.deliveryMode !== 2) problems.push('not persistent');
          received.push({
            id: body.eventId,
            aggregateId: body.aggregateId,
            version: body.version,
            eventType: body.eventType,
          });
        },
        { noAck: true },
      );
      const aggregates = await placeOrders(server!, 8, 40);
      const expected = await eventIdsOf(server!, aggregates);
      const mine = new Set(aggregates);
      const ours = () => received.filter((r) => mine.has(r.aggregateId));
      await eventually(async () => expect(ours().length).toBeGreaterThanOrEqual(expected.size), 30_000);
      expect(problems).toEqual([]);
      expectEachOnceInOrder(ours(), expected);

      // An admin restarts the relay from the log's first event: everything after it is published again.
      const { rows } = await server!.sql.query<{ position: string }>(
        'SELECT position::text AS position FROM events ORDER BY position LIMIT 1',
      );
      const restarted = await server!.gql('mutation ($p: Position!) { restartRelay(from: $p) { name position } }', {
        p: rows[0]!.position,
      });
      expect(restarted.data!.restartRelay).toEqual({ name: 'relay:amqp', position: rows[0]!.position });
      await eventually(async () => expect(ours().length).toBe(expected.size * 2 - 1), 30_000);
      expectEachOnceInOrder(ours().slice(expected.size), new Set([...expected].filter((id) => id !== ours()[0]!.id)));
    } finally {
      await channel.close().catch(() => undefined);
      await connection.close();
    }
  });
});

describeIfAvailable(natsServerAvailable(), 'the nats-server binary')('through a broker outage', () => {
  let nats: PrivateNatsServer;
  let server: TestServer;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    nats = await PrivateNatsServer.create();
    server = await startTestServer({
      BUS_URL: nats.url,
      BUS_BATCH_SIZE: '5',
      BUS_RETRY_MS: '50',
      BUS_MAX_RETRY_MS: '200',
    });
  });
  afterAll(async () => {
    await nc?.close();
    await server.close();
    await nats.dispose();
  });

  it('keeps taking commands while the broker is down, then publishes everything, once and in order', async () => {
    const before = await placeOrders(server, 4, 10);
    // The broker dies (SIGKILL: nothing flushed) with events published and possibly some still in flight.
    await nats.stop();
    const during = await placeOrders(server, 4, 10);
    await eventually(async () => {
      const { data } = await server.gql('{ relays { state lastError lag } }');
      expect(data!.relays[0]).toMatchObject({ state: 'RETRYING', lastError: expect.any(String) });
      expect(data!.relays[0].lag).toBeGreaterThan(0);
    });
    await nats.start();
    await eventually(async () => {
      const { data } = await server.gql('{ relays { state lag lastError } }');
      expect(data!.relays[0]).toMatchObject({ lag: 0, lastError: null });
    }, 30_000);
    nc = await natsConnect({ servers: nats.url });
    const aggregates = [...before, ...during];
    const expected = await eventIdsOf(server, aggregates);
    expectEachOnceInOrder(await readNats(nc, new Set(aggregates), expected.size), expected);
    // The relay's details are for operators.
    const ready = await (
      await fetch(`${server.app.url}/readyz`, { headers: await server.as({ role: 'admin' }) })
    ).json();
    expect(ready).toMatchObject({ status: 'ready', relay: { name: 'relay:nats', lag: 0 } });
  });
});

describeIfAvailable(natsServerAvailable(), 'the nats-server binary')('to a NATS stream an earlier release made', () => {
  let nats: PrivateNatsServer;
  let server: TestServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await PrivateNatsServer.create();
    nc = await natsConnect({ servers: nats.url });
    // The stream as an earlier release made it, with no age limit, and a message in it from then.
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({
      name: STREAM,
      subjects: ['orderstream.>'],
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
    await nc.jetstream().publish('orderstream.Customer.CustomerRegistered', '{"from":"an earlier release"}');
    server = await startTestServer({ BUS_URL: nats.url, BUS_RETENTION: 'P3D' });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
    await nats?.dispose();
  });

  it('gives it BUS_RETENTION as its max_age at start, before any event, keeping what it holds', async () => {
    const jsm = await nc.jetstreamManager();
    await eventually(async () => {
      const { config, state } = await jsm.streams.info(STREAM);
      expect(config.max_age).toBe(nanos(3 * 24 * 3_600_000));
      expect(state.messages).toBe(1);
    });
    const { rows } = await server.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(rows[0]!.n).toBe(0);
  });
});

describeIfAvailable(natsServerAvailable(), 'the nats-server binary')('to NATS, without personal data', () => {
  let nats: PrivateNatsServer;
  let server: TestServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await PrivateNatsServer.create();
    nc = await natsConnect({ servers: nats.url });
    server = await startTestServer({ BUS_URL: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
    await nats?.dispose();
  });

  it('publishes no name, email or reason: every message in the stream searched, body and headers', async () => {
    const trail = await personalTrail(server);
    const expected = await eventIdsOf(server, trail.aggregates);
    await eventually(async () => {
      const { data } = await server.gql('{ relays { lag } }');
      expect(data!.relays[0].lag).toBe(0);
    }, 30_000);
    const jsm = await nc.jetstreamManager();
    const { state } = await jsm.streams.info(STREAM);
    const consumer = await nc.jetstream().consumers.get(STREAM);
    const messages: RawMessage[] = [];
    const feed = await consumer.consume();
    for await (const message of feed) {
      const headers = message.headers ? [...message.headers.keys()].map((k) => `${k}: ${message.headers!.get(k)}`) : [];
      const text = `${message.subject}\n${headers.join('\n')}\n${message.string()}`;
      messages.push({ text, envelope: message.json<RawMessage['envelope']>() });
      if (message.seq >= state.last_seq) break;
    }
    await feed.close();
    expect(new Set(messages.filter((m) => expected.has(m.envelope.eventId)).map((m) => m.envelope.eventId))).toEqual(
      expected,
    );
    expectNoPersonalData(messages, trail);
  });
});

describeIfAvailable(amqpAvailable(), `RabbitMQ at ${AMQP}`)('to RabbitMQ, without personal data', () => {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer({ BUS_URL: AMQP });
  });
  afterAll(() => server?.close());

  it('publishes no name, email or reason: every message routed while it ran searched, body and headers', async () => {
    const connection = await amqpConnect(AMQP);
    const channel = await connection.createChannel();
    try {
      await channel.assertExchange('orderstream.events', 'topic', { durable: true });
      const { queue } = await channel.assertQueue(`relay-personal-${randomUUID()}`, { exclusive: true });
      await channel.bindQueue(queue, 'orderstream.events', '#');
      const messages: RawMessage[] = [];
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const body = message.content.toString();
          const text = `${message.fields.routingKey}\n${JSON.stringify(message.properties)}\n${body}`;
          messages.push({ text, envelope: JSON.parse(body) as RawMessage['envelope'] });
        },
        { noAck: true },
      );
      const trail = await personalTrail(server!);
      const expected = await eventIdsOf(server!, trail.aggregates);
      await eventually(async () => {
        const ids = new Set(messages.map((m) => m.envelope.eventId));
        expect([...expected].filter((id) => !ids.has(id))).toEqual([]);
      }, 30_000);
      expectNoPersonalData(messages, trail);
    } finally {
      await channel.close().catch(() => undefined);
      await connection.close();
    }
  });
});
