import { connect as amqpConnect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { AMQP_URL, amqpAvailable, describeIfAvailable } from '../support/brokers';
import { gqlAt, startChildServer, type ChildServer } from '../support/child-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';

// The app killed (SIGKILL) while its relay publishes: a new process resumes from the relay's checkpoint, so every
// event reaches the broker, and what is published twice is at most the one batch that was not yet acknowledged
// when the process died (the checkpoint moves only after the broker's confirms, one batch at a time).

const BATCH = 10;

describeIfAvailable(amqpAvailable(), `RabbitMQ at ${AMQP_URL}`)('the relay of a process killed mid-publish', () => {
  let db: TestDatabase;
  let sql: Pool;
  let server: ChildServer | undefined;
  let connection: ChannelModel;
  let channel: Channel;
  const received: { id: string; aggregateId: string; version: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Pool({ connectionString: db.url, max: 2 });
    connection = await amqpConnect(AMQP_URL);
    channel = await connection.createChannel();
    await channel.assertExchange('orderstream.events', 'topic', { durable: true });
    // Bound before anything is published: a topic exchange drops what no queue is bound for.
    const { queue } = await channel.assertQueue(`relay-crash-${randomUUID()}`, { exclusive: true });
    await channel.bindQueue(queue, 'orderstream.events', '#');
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const body = JSON.parse(message.content.toString()) as {
          eventId: string;
          aggregateId: string;
          version: number;
        };
        received.push({ id: body.eventId, aggregateId: body.aggregateId, version: body.version });
      },
      { noAck: true },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await channel?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await sql?.end();
    await db?.drop();
  });

  it('republishes, after a restart, only what the broker had not acknowledged, and loses nothing', async () => {
    const env = { BUS_URL: AMQP_URL, BUS_BATCH_SIZE: String(BATCH) };
    server = await startChildServer(db.url, env);
    const registered = await gqlAt(
      server.url,
      'mutation { registerCustomer(input: { name: "Crash", email: "crash@example.com" }) { aggregateId } }',
    );
    const customerId = registered.data.registerCustomer.aggregateId as string;
    const place = (url: string) =>
      gqlAt(
        url,
        'mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "c", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }',
        { c: customerId },
      );
    // Load, and the kill once the relay is well into it.
    const load = (async () => {
      const url = server!.url;
      for (let i = 0; i < 400; i++) {
        try {
          await place(url);
        } catch {
          return; // the process is gone
        }
      }
    })();
    await eventually(async () => expect(received.length).toBeGreaterThan(60), 30_000);
    await server.stop('SIGKILL');
    await load;

    server = await startChildServer(db.url, env);
    await place(server.url);
    const { rows } = await sql.query<{ event_id: string }>('SELECT event_id FROM events');
    const all = new Set(rows.map((r) => r.event_id));
    await eventually(async () => expect(new Set(received.map((r) => r.id))).toEqual(all), 30_000);

    const copies = new Map<string, number>();
    for (const r of received) copies.set(r.id, (copies.get(r.id) ?? 0) + 1);
    const twice = [...copies.values()].filter((n) => n > 1);
    expect(twice.every((n) => n === 2)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(BATCH);
    // Each aggregate's first copies in version order.
    const firsts = new Map<string, number[]>();
    const seen = new Set<string>();
    for (const r of received) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      firsts.set(r.aggregateId, [...(firsts.get(r.aggregateId) ?? []), r.version]);
    }
    for (const versions of firsts.values()) expect(versions).toEqual(versions.map((_, i) => i + 1));
  });
});
