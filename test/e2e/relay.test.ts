import { connect as amqpConnect } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { connect as natsConnect, type NatsConnection } from 'nats';
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
