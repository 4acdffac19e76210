import amqp from 'amqplib';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, nanos, type NatsConnection } from 'nats';
import { EXCHANGE } from '../../src/bus/amqp-publisher';
import { busMessage, parseBusMessage, type BusEvent } from '../../src/bus/envelope';
import { DUPLICATE_WINDOW_MS, STREAM } from '../../src/bus/nats-publisher';
import { createPublisher, type BusPublisher, type PublisherOptions } from '../../src/bus/publisher';
import { loadConfig } from '../../src/config';
import type { StoredEvent } from '../../src/eventstore/types';
import { PERSONAL_FIELDS } from '../../src/slices';
import {
  AMQP_URL,
  NATS_SERVER_BIN,
  NATS_URL,
  PrivateNatsServer,
  TcpCutter,
  amqpAvailable,
  describeIfAvailable,
  natsAvailable,
  natsServerAvailable,
} from '../support/brokers';

// Every run publishes under aggregate types of its own, so runs (and tests) sharing the brokers never see each
// other's events.
const RUN = randomBytes(4).toString('hex');
const types: string[] = [];
const aggregateType = () => types[types.push(`Test${RUN}x${types.length + 1}`) - 1]!;
let position = 0n;

/** The test events' `note` is their personal data, as a slice would declare it; the retention is the default. */
const BUS: PublisherOptions = {
  personalFields: { Opened: ['note'], Changed: ['note'] },
  retentionMs: loadConfig({ BUS_URL: NATS_URL }).bus!.retentionMs,
};
const DAY_MS = 86_400_000;

/** `perAggregate` events of each of `aggregates` aggregates, interleaved, in log order. */
function storedEvents(type: string, aggregates: number, perAggregate: number): StoredEvent[] {
  const ids = Array.from({ length: aggregates }, () => randomUUID());
  const events: StoredEvent[] = [];
  for (let version = 1; version <= perAggregate; version++) {
    for (const aggregateId of ids) {
      events.push({
        eventId: randomUUID(),
        eventType: version === 1 ? 'Opened' : 'Changed',
        aggregateId,
        aggregateType: type,
        version,
        position: ++position,
        timestamp: new Date(),
        schemaVersion: 1,
        payload: { version, note: `é ${version}`, items: [{ sku: 'A', quantity: version }] },
        metadata: { correlationId: randomUUID(), causationId: randomUUID(), userId: version % 2 ? 'user-1' : null },
        ownerId: 'not-on-the-bus',
      });
    }
  }
  return events;
}

/** What a consumer reads of `event`: no owner, no note (BUS's personal field), and the note named as left out. */
function onTheBus({ ownerId: _ownerId, payload, ...event }: StoredEvent): BusEvent {
  const { note: _note, ...kept } = payload as Record<string, unknown>;
  return { ...event, payload: kept, personalDataOmitted: ['note'] } as BusEvent;
}

/**
 * What the contract promises a consumer that drops repeats of an eventId: every event, as the log has it, each
 * aggregate's in its order.
 */
function expectDelivered(received: readonly BusEvent[], sent: readonly StoredEvent[]): void {
  const firsts = new Map<string, BusEvent>();
  for (const event of received) if (!firsts.has(event.eventId)) firsts.set(event.eventId, event);
  expect(firsts.size).toBe(sent.length);
  for (const event of sent) expect(firsts.get(event.eventId)).toEqual(onTheBus(event));
  const lastVersion = new Map<string, number>();
  for (const event of firsts.values()) {
    expect(event.version).toBe((lastVersion.get(event.aggregateId) ?? 0) + 1);
    lastVersion.set(event.aggregateId, event.version);
  }
}

/** Every message now in the stream under `orderstream.<type>.>`, in stream order (an ordered consumer reads them). */
async function readStream(nc: NatsConnection, type: string): Promise<{ event: BusEvent; msgId?: string }[]> {
  const filter = `orderstream.${type}.>`;
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(STREAM, { subjects_filter: filter });
  const count = Object.values(state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const read: { event: BusEvent; msgId?: string }[] = [];
  if (count === 0) return read;
  const consumer = await nc.jetstream().consumers.get(STREAM, { filterSubjects: filter });
  const messages = await consumer.consume();
  for await (const message of messages) {
    read.push({ event: parseBusMessage(message.data), msgId: message.headers?.get('Nats-Msg-Id') });
    if (read.length === count) break;
  }
  await messages.close();
  return read;
}

/** Consumes a fresh exclusive queue bound to `<type>.#` on the exchange, as a consumer of the bus would. */
async function amqpQueue(type: string) {
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, EXCHANGE, `${type}.#`);
  const received: amqp.ConsumeMessage[] = [];
  const waiters: (() => void)[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      received.push(message);
      for (const wake of waiters.splice(0)) wake();
    },
    { noAck: true },
  );
  return {
    received,
    /** Resolves once `done` holds of what has arrived. */
    async until(done: (messages: readonly amqp.ConsumeMessage[]) => boolean): Promise<void> {
      while (!done(received)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => connection.close(),
  };
}

const distinctIds = (messages: readonly amqp.ConsumeMessage[]) =>
  new Set(messages.map((message) => message.properties.messageId as string)).size;

describe('the bus message', () => {
  it('carries the envelope that parseBusMessage reads back, at its subject and routing key', () => {
    const [event] = storedEvents('Order', 1, 1);
    const message = busMessage(event!, BUS.personalFields);
    expect(message).toMatchObject({
      subject: 'orderstream.Order.Opened',
      routingKey: 'Order.Opened',
      id: event!.eventId,
    });
    const json = JSON.parse(message.body.toString());
    expect(json.position).toBe(event!.position.toString());
    expect(json.timestamp).toBe(event!.timestamp.toISOString());
    expect(json).not.toHaveProperty('ownerId');
    expect(parseBusMessage(message.body)).toEqual(onTheBus(event!));
  });

  it('leaves out the personal fields the slices declare, and names them in personalDataOmitted', () => {
    const [event] = storedEvents('Customer', 1, 1);
    const name = `Ada ${RUN}`;
    const email = `ada.${RUN}@example.com`;
    const reason = `moved to ${RUN}`;
    const bodyOf = (eventType: string, payload: unknown) =>
      busMessage({ ...event!, eventType, payload }, PERSONAL_FIELDS).body.toString();

    const registered = bodyOf('CustomerRegistered', { name, email });
    expect(registered).not.toContain(name);
    expect(registered).not.toContain(email);
    expect(JSON.parse(registered)).toMatchObject({ payload: {}, personalDataOmitted: ['name', 'email'] });
    expect(parseBusMessage(registered)).toMatchObject({ payload: {}, personalDataOmitted: ['name', 'email'] });

    const cancelled = bodyOf('OrderCancelled', { reason });
    expect(cancelled).not.toContain(reason);
    expect(JSON.parse(cancelled)).toMatchObject({ payload: {}, personalDataOmitted: ['reason'] });
    expect(JSON.parse(bodyOf('CustomerDeactivated', { reason }))).toMatchObject({
      payload: {},
      personalDataOmitted: ['reason'],
    });

    // A field the event did not have is not reported left out; an event without personal data is served whole.
    expect(JSON.parse(bodyOf('OrderCancelled', {}))).toMatchObject({ payload: {}, personalDataOmitted: [] });
    const amount = { amount: { amount: '12.50', currencyCode: 'EUR' } };
    expect(JSON.parse(bodyOf('OrderPaid', amount))).toMatchObject({ payload: amount, personalDataOmitted: [] });
    // The stored event keeps them: the bus copies, it does not strip the log.
    const stored = { ...event!, eventType: 'CustomerRegistered', payload: { name, email } };
    busMessage(stored, PERSONAL_FIELDS);
    expect(stored.payload).toEqual({ name, email });
  });

  it('reads a message from before personal data was left out as one with nothing omitted', () => {
    const [event] = storedEvents('Order', 1, 1);
    const { personalDataOmitted: _omitted, ...older } = JSON.parse(busMessage(event!, {}).body.toString());
    expect(parseBusMessage(JSON.stringify(older))).toMatchObject({ payload: event!.payload, personalDataOmitted: [] });
  });

  it('refuses an event whose types would not make a plain subject', () => {
    const [event] = storedEvents('Order', 1, 1);
    expect(() => busMessage({ ...event!, eventType: 'Order.Paid' }, BUS.personalFields)).toThrow(/cannot be routed/);
    expect(() => busMessage({ ...event!, aggregateType: 'Order>' }, BUS.personalFields)).toThrow(/cannot be routed/);
  });

  it('is refused by parseBusMessage when it is not an envelope', () => {
    const [event] = storedEvents('Order', 1, 1);
    const json = JSON.parse(busMessage(event!, BUS.personalFields).body.toString());
    expect(() => parseBusMessage(JSON.stringify({ ...json, position: 12 }))).toThrow();
    expect(() => parseBusMessage(JSON.stringify({ ...json, metadata: undefined }))).toThrow();
    expect(() => parseBusMessage('not json')).toThrow();
  });

  it('is chosen by the URL scheme, with sane options', () => {
    expect(createPublisher('nats://127.0.0.1:4222', BUS).kind).toBe('nats');
    expect(createPublisher('amqp://guest:guest@127.0.0.1', BUS).kind).toBe('amqp');
    expect(createPublisher('amqps://broker.example', BUS).kind).toBe('amqp');
    expect(() => createPublisher('kafka://broker.example', BUS)).toThrow(/nats:\/\/, amqp:\/\/ or amqps:\/\//);
    expect(() => createPublisher('nats://127.0.0.1', { ...BUS, window: 0 })).toThrow(
      /window must be a positive integer/,
    );
  });
});

describeIfAvailable(natsAvailable(), `NATS at ${NATS_URL}`)('the NATS JetStream publisher', () => {
  let publisher: BusPublisher;
  let nc: NatsConnection;

  beforeAll(async () => {
    publisher = createPublisher(NATS_URL, BUS);
    await publisher.connect();
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await publisher?.close();
    // The shared stream keeps none of this run's events.
    const jsm = await nc.jetstreamManager();
    for (const type of types) await jsm.streams.purge(STREAM, { filter: `orderstream.${type}.>` });
    await nc.close();
  });

  it('publishes every event once, each aggregate in order, with the eventId as Nats-Msg-Id', async () => {
    const type = aggregateType();
    const events = storedEvents(type, 7, 60);
    await publisher.connect(); // idempotent
    await publisher.publish(events);
    const read = await readStream(nc, type);
    expect(read).toHaveLength(events.length);
    expectDelivered(
      read.map((r) => r.event),
      events,
    );
    for (const { event, msgId } of read) expect(msgId).toBe(event.eventId);
  });

  it('has the broker drop a republished batch as duplicates', async () => {
    const type = aggregateType();
    const events = storedEvents(type, 5, 40);
    await publisher.publish(events);
    await publisher.publish(events);
    await publisher.publish(events.slice(50, 120));
    expect(await readStream(nc, type)).toHaveLength(events.length);
    const { subject, body, id } = busMessage(events[0]!, BUS.personalFields);
    const ack = await nc.jetstream().publish(subject, body, { msgID: id });
    expect(ack.duplicate).toBe(true);
  });

  it('keeps the stream as the contract has it', async () => {
    const { config } = await (await nc.jetstreamManager()).streams.info(STREAM);
    expect(config.subjects).toContain('orderstream.>');
    expect(config.storage).toBe('file');
    expect(config.duplicate_window).toBeGreaterThanOrEqual(nanos(DUPLICATE_WINDOW_MS));
    expect(config.max_age).toBe(nanos(BUS.retentionMs));
  });
});

describeIfAvailable(natsServerAvailable(), `nats-server at ${NATS_SERVER_BIN}`)(
  'the NATS publisher through a broker outage',
  () => {
    let server: PrivateNatsServer;

    beforeAll(async () => {
      server = await PrivateNatsServer.create();
    });

    afterAll(async () => {
      await server?.dispose();
    });

    it('creates the stream with the retention as its max_age, and applies a changed retention at the next connect', async () => {
      const nc = await connect({ servers: server.url });
      const jsm = await nc.jetstreamManager();
      const connectWith = async (retentionMs: number) => {
        const publisher = createPublisher(server.url, { ...BUS, retentionMs });
        try {
          await publisher.connect();
        } finally {
          await publisher.close();
        }
        return (await jsm.streams.info(STREAM)).config;
      };
      try {
        await jsm.streams.delete(STREAM).catch(() => false);
        expect(await connectWith(3 * DAY_MS)).toMatchObject({
          max_age: nanos(3 * DAY_MS),
          duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        });
        expect(await connectWith(30 * DAY_MS)).toMatchObject({ max_age: nanos(30 * DAY_MS) });
        // JetStream refuses a duplicate window longer than max_age: a retention shorter than ours cuts it.
        expect(await connectWith(60_000)).toMatchObject({ max_age: nanos(60_000), duplicate_window: nanos(60_000) });
        expect(await connectWith(BUS.retentionMs)).toMatchObject({
          max_age: nanos(BUS.retentionMs),
          duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        });
      } finally {
        await nc.close();
      }
    });

    it('adds its subjects, duplicate window and max_age to a stream that exists without them', async () => {
      const nc = await connect({ servers: server.url });
      const publisher = createPublisher(server.url, BUS);
      try {
        const jsm = await nc.jetstreamManager();
        await jsm.streams.delete(STREAM).catch(() => false);
        await jsm.streams.add({ name: STREAM, subjects: ['elsewhere.>'], duplicate_window: nanos(10_000) });
        await nc.jetstream().publish('elsewhere.kept', 'kept');
        // As an earlier release made it: no age limit.
        expect((await jsm.streams.info(STREAM)).config.max_age).toBe(0);
        await publisher.connect();
        const { config, state } = await jsm.streams.info(STREAM);
        expect(config.subjects).toEqual(['elsewhere.>', 'orderstream.>']);
        expect(config.duplicate_window).toBe(nanos(DUPLICATE_WINDOW_MS));
        expect(config.max_age).toBe(nanos(BUS.retentionMs));
        expect(state.messages).toBe(1);
      } finally {
        await publisher.close();
        await nc.close();
      }
    });

    it('fails fast while the broker is down, and loses nothing once it is back', async () => {
      const type = aggregateType();
      const timeoutMs = 2_000;
      const publisher = createPublisher(server.url, { ...BUS, timeoutMs });
      const [before, during, after] = [
        storedEvents(type, 4, 50),
        storedEvents(type, 10, 500),
        storedEvents(type, 4, 50),
      ];
      try {
        await publisher.connect();
        await publisher.publish(before);

        // The broker dies mid-batch: killed once it has routed some of it (a plain subscriber sees them arrive).
        const watcher = await connect({ servers: server.url, reconnect: false });
        let seen = 0;
        const killed = new Promise<void>((resolve) => {
          watcher.subscribe(`orderstream.${type}.>`, {
            callback: () => {
              if (++seen === 300) void server.stop().then(resolve);
            },
          });
        });
        await watcher.flush();
        const started = Date.now();
        await expect(publisher.publish(during)).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(timeoutMs + 1_000);
        await killed;

        // Down: neither connecting nor publishing waits for it.
        await expect(publisher.publish(after)).rejects.toThrow(/not connected/);
        await expect(publisher.connect()).rejects.toThrow();

        // Back (the same store): the relay republishes from its checkpoint, before the failed batch.
        await server.start();
        await publisher.connect();
        await publisher.publish(during);
        await publisher.publish(after);

        const reader = await connect({ servers: server.url });
        try {
          const read = await readStream(reader, type);
          expect(read).toHaveLength(before.length + during.length + after.length);
          expectDelivered(
            read.map((r) => r.event),
            [...before, ...during, ...after],
          );
        } finally {
          await reader.close();
        }
      } finally {
        await publisher.close();
      }
    });

    it('fails a batch within its timeout when the broker hangs, and loses nothing once it answers again', async () => {
      const type = aggregateType();
      const timeoutMs = 500;
      const publisher = createPublisher(server.url, { ...BUS, timeoutMs });
      const [before, during] = [storedEvents(type, 4, 50), storedEvents(type, 4, 50)];
      try {
        await publisher.connect();
        await publisher.publish(before);
        server.pause();
        const started = Date.now();
        await expect(publisher.publish(during)).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(timeoutMs + 1_000);
        await expect(publisher.connect()).rejects.toThrow();
        server.resume();
        await publisher.connect();
        await publisher.publish(during);

        const reader = await connect({ servers: server.url });
        try {
          const read = await readStream(reader, type);
          expect(read).toHaveLength(before.length + during.length);
          expectDelivered(
            read.map((r) => r.event),
            [...before, ...during],
          );
        } finally {
          await reader.close();
        }
      } finally {
        server.resume();
        await publisher.close();
      }
    });
  },
);

describeIfAvailable(amqpAvailable(), `RabbitMQ at ${AMQP_URL}`)('the RabbitMQ publisher', () => {
  let publisher: BusPublisher;

  beforeAll(async () => {
    publisher = createPublisher(AMQP_URL, BUS);
    await publisher.connect();
  });

  afterAll(async () => {
    await publisher?.close();
  });

  it('publishes every event once, each aggregate in order, persistent, with the eventId as message_id', async () => {
    const type = aggregateType();
    const events = storedEvents(type, 7, 60);
    const queue = await amqpQueue(type);
    try {
      await publisher.connect(); // idempotent
      await publisher.publish(events);
      await queue.until((messages) => messages.length === events.length);
      expectDelivered(
        queue.received.map((message) => parseBusMessage(message.content)),
        events,
      );
      queue.received.forEach((message, i) => {
        const event = parseBusMessage(message.content);
        expect(message.fields).toMatchObject({ exchange: EXCHANGE, routingKey: `${type}.${event.eventType}` });
        expect(message.properties).toMatchObject({
          messageId: event.eventId,
          deliveryMode: 2,
          contentType: 'application/json',
          type: event.eventType,
          timestamp: Math.floor(event.timestamp.getTime() / 1000),
        });
        expect(event.eventId).toBe(events[i]!.eventId);
      });
    } finally {
      await queue.close();
    }
  });

  it('delivers a republished batch again, with the same message_id for the consumer to drop', async () => {
    const type = aggregateType();
    const events = storedEvents(type, 3, 20);
    const queue = await amqpQueue(type);
    try {
      await publisher.publish(events);
      await publisher.publish(events);
      await queue.until((messages) => messages.length === 2 * events.length);
      expect(distinctIds(queue.received)).toBe(events.length);
      expectDelivered(
        queue.received.map((message) => parseBusMessage(message.content)),
        events,
      );
    } finally {
      await queue.close();
    }
  });

  /** A publisher whose connection to RabbitMQ runs through a cutter, for the test to fail it. */
  async function throughCutter(timeoutMs: number) {
    const { hostname, port } = new URL(AMQP_URL);
    const cutter = await TcpCutter.create({ host: hostname, port: Number(port) || 5672 });
    const url = new URL(AMQP_URL);
    url.host = `127.0.0.1:${cutter.port}`;
    return { cutter, publisher: createPublisher(url.toString(), { ...BUS, timeoutMs }) };
  }

  it('fails a batch whose connection is cut, reconnects, and the republished batch arrives in order', async () => {
    const type = aggregateType();
    const { cutter, publisher: cut } = await throughCutter(2_000);
    const events = storedEvents(type, 10, 300);
    const queue = await amqpQueue(type);
    try {
      await cut.connect();
      const cutMidway = queue.until((messages) => messages.length >= 200).then(() => cutter.cut());
      await expect(cut.publish(events)).rejects.toThrow();
      await cutMidway;
      await expect(cut.publish(events)).rejects.toThrow(/not connected/);
      await cut.connect();
      await cut.publish(events);
      await queue.until((messages) => distinctIds(messages) === events.length);
      expectDelivered(
        queue.received.map((message) => parseBusMessage(message.content)),
        events,
      );
    } finally {
      await cut.close();
      await queue.close();
      await cutter.close();
    }
  });

  it('fails a batch within its timeout when the broker hangs, and delivers everything once it answers again', async () => {
    const type = aggregateType();
    const timeoutMs = 500;
    const { cutter, publisher: hung } = await throughCutter(timeoutMs);
    const [before, during] = [storedEvents(type, 4, 50), storedEvents(type, 4, 50)];
    const queue = await amqpQueue(type);
    try {
      await hung.connect();
      await hung.publish(before);
      cutter.freeze();
      const started = Date.now();
      await expect(hung.publish(during)).rejects.toThrow();
      // Waiting for the acknowledgements, then for the answer to closing the connection: a timeout each at most.
      expect(Date.now() - started).toBeLessThan(2 * timeoutMs + 1_000);
      await expect(hung.connect()).rejects.toThrow();
      cutter.thaw();
      await hung.connect();
      await hung.publish(during);
      await queue.until((messages) => distinctIds(messages) === before.length + during.length);
      expectDelivered(
        queue.received.map((message) => parseBusMessage(message.content)),
        [...before, ...during],
      );
    } finally {
      await hung.close();
      await queue.close();
      await cutter.close();
    }
  });
});
