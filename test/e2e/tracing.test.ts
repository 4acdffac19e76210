import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { connect as amqpConnect } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { connect as natsConnect, DeliverPolicy, type MsgHdrs, type NatsConnection } from 'nats';
import { loadFulfillmentConfig } from '../../fulfillment/config';
import { startFulfillment, type Fulfillment } from '../../fulfillment/service';
import { AMQP_URL, amqpAvailable, describeIfAvailable, NATS_URL, natsAvailable } from '../support/brokers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';

// Traces (docs/operations.md, "Traces"): one mutation's trace context, recorded in its events' metadata at the append, reaches the
// projectors' batches, the relay's publish, the live feed and the bus messages' headers, and the fulfillment
// service carries it on into the shipOrder mutation it sends. Each server hands its spans to an in-memory exporter
// of its own (StartOptions.spanProcessors), so nothing depends on OpenTelemetry's process-wide registrations.

const MUTATIONS = {
  register: 'mutation { registerCustomer(input: { name: "Ada", email: "ada@example.com" }) { aggregateId } }',
  place: `mutation ($c: ID!) {
    placeOrder(input: { customerId: $c, items: [{ productId: "lamp", quantity: 1, unitPrice: "9.90" }] }) { aggregateId }
  }`,
  pay: 'mutation Checkout($id: ID!) { payOrder(input: { orderId: $id }) { version } }',
};

/** A caller's own trace: the server's spans must continue it. */
function callerTrace(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const inTrace = (traceId: string) => (span: ReadableSpan) => span.spanContext().traceId === traceId;
const linksTo = (traceId: string) => (span: ReadableSpan) => span.links.some((l) => l.context.traceId === traceId);

async function storedMetadata(server: TestServer, aggregateId: string, eventType: string) {
  const { rows } = await server.sql.query<{ metadata: Record<string, unknown> }>(
    'SELECT metadata FROM events WHERE aggregate_id = $1 AND event_type = $2',
    [aggregateId, eventType],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.metadata;
}

/** The headers of the message the relay published for this aggregate's event, read back from the stream. */
async function publishedHeaders(nc: NatsConnection, subject: string, aggregateId: string, since: Date) {
  const consumer = await nc.jetstream().consumers.get('ORDERSTREAM', {
    filterSubjects: subject,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: since.toISOString(),
  });
  const messages = await consumer.consume();
  let headers: MsgHdrs | undefined;
  for await (const message of messages) {
    if (message.json<{ aggregateId: string }>().aggregateId !== aggregateId) continue;
    headers = message.headers;
    break;
  }
  await messages.close();
  return headers;
}

describeIfAvailable(natsAvailable(), `NATS at ${NATS_URL}`)('with tracing on', () => {
  const spans = new InMemorySpanExporter();
  let server: TestServer;
  let nc: NatsConnection;
  let customerId: string;
  beforeAll(async () => {
    server = await startTestServer({ BUS_URL: NATS_URL }, { spanProcessors: [new SimpleSpanProcessor(spans)] });
    nc = await natsConnect({ servers: NATS_URL });
    customerId = (await server.gql(MUTATIONS.register)).data!.registerCustomer.aggregateId;
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
  });

  it("follows a mutation from its operation to its append, the projectors' batches, the relay's publish, the live feed and the message's headers", async () => {
    const since = new Date();
    const caller = callerTrace();
    const placed = await server.gql(MUTATIONS.place, { c: customerId }, { traceparent: caller.traceparent });
    expect(placed.errors).toBeUndefined();
    const orderId = placed.data!.placeOrder.aggregateId as string;

    // The operation continues the caller's trace; the command and the append are its descendants.
    const finished = () => spans.getFinishedSpans().filter(inTrace(caller.traceId));
    const operation = await eventually(async () => {
      const found = finished().find((s) => s.name === 'mutation placeOrder');
      expect(found).toBeDefined();
      return found!;
    });
    expect(operation.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'orderstream.outcome': 'ok' });
    const command = finished().find((s) => s.name === 'command PlaceOrder')!;
    expect(command.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    const append = finished().find((s) => s.name === 'append Order')!;
    expect(append.parentSpanContext?.spanId).toBe(command.spanContext().spanId);

    // The append's context is stored with the event.
    const metadata = await storedMetadata(server, orderId, 'OrderPlaced');
    expect(metadata.traceparent).toBe(`00-${caller.traceId}-${append.spanContext().spanId}-01`);

    // Every batch, publish and hand-over that carried the event links back to that trace.
    await eventually(async () => {
      const linked = spans.getFinishedSpans().filter(linksTo(caller.traceId));
      const projectors = linked
        .filter((s) => s.name.startsWith('project '))
        .map((s) => s.attributes['orderstream.projector']);
      expect(new Set(projectors)).toEqual(new Set(['orders', 'customers']));
      expect(linked.map((s) => s.name)).toEqual(
        expect.arrayContaining(['publish ORDERSTREAM', 'deliver to subscribers']),
      );
    });

    // The message carries the stored context as its headers.
    const headers = await publishedHeaders(nc, 'orderstream.Order.OrderPlaced', orderId, since);
    expect(headers?.get('traceparent')).toBe(metadata.traceparent);
  });

  it('carries the trace through the fulfillment service into the shipOrder mutation it sends', async () => {
    const fulfillmentSpans = new InMemorySpanExporter();
    const inbox: TestDatabase = await createTestDatabase();
    const consumer = `fulfillment_tracing_${randomBytes(6).toString('hex')}`;
    let fulfillment: Fulfillment | undefined;
    try {
      fulfillment = await startFulfillment(
        loadFulfillmentConfig({
          BUS_URL: NATS_URL,
          ORDERSTREAM_URL: server.app.url,
          FULFILLMENT_TOKEN: await server.token({ role: 'staff', sub: 'fulfillment' }),
          FULFILLMENT_DATABASE_URL: inbox.url,
          PORT: '0',
          FULFILLMENT_CONSUMER: consumer,
          FULFILLMENT_START: 'new',
          FULFILLMENT_DELAY_MS: '20',
          LOG_LEVEL: 'silent',
        }),
        { spanProcessors: [new SimpleSpanProcessor(fulfillmentSpans)] },
      );
      const orderId = (await server.gql(MUTATIONS.place, { c: customerId })).data!.placeOrder.aggregateId as string;
      const caller = callerTrace();
      const paid = await server.gql(MUTATIONS.pay, { id: orderId }, { traceparent: caller.traceparent });
      expect(paid.errors).toBeUndefined();
      await eventually(async () => {
        const res = await server.gql('query ($id: ID!) { order(id: $id) { status } }', { id: orderId });
        expect(res.data!.order.status).toBe('SHIPPED');
      }, 30_000);

      // The service's work is a child of the OrderPaid append.
      const paidAppend = spans
        .getFinishedSpans()
        .filter(inTrace(caller.traceId))
        .find((s) => s.name === 'append Order' && String(s.attributes['orderstream.event.types']) === 'OrderPaid')!;
      // (The order shows SHIPPED a moment before the service has recorded it in its inbox and ended its span.)
      const theirs = await eventually(async () => {
        const finished = fulfillmentSpans.getFinishedSpans().filter(inTrace(caller.traceId));
        expect(finished.map((s) => s.name)).toContain('process orderstream.Order.OrderPaid');
        return finished;
      });
      const processing = theirs.find((s) => s.name === 'process orderstream.Order.OrderPaid')!;
      expect(processing.parentSpanContext?.spanId).toBe(paidAppend.spanContext().spanId);
      expect(processing.attributes['fulfillment.outcome']).toBe('ack:shipped');
      const call = theirs.find((s) => s.name === 'POST /graphql')!;
      expect(call.parentSpanContext?.spanId).toBe(processing.spanContext().spanId);

      // orderstream's ShipOrder operation continues the service's call, and its event records it; the payment's
      // operation span is named by its operation name. (A server span ends once its response is out, which its
      // client may read first.)
      const ours = await eventually(async () => {
        const finished = spans.getFinishedSpans().filter(inTrace(caller.traceId));
        expect(finished.map((s) => s.name)).toEqual(
          expect.arrayContaining(['mutation Checkout', 'mutation ShipOrder']),
        );
        return finished;
      });
      const shipped = ours.find((s) => s.name === 'mutation ShipOrder')!;
      expect(shipped.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
      expect((await storedMetadata(server, orderId, 'OrderShipped')).traceparent).toMatch(
        new RegExp(`^00-${caller.traceId}-[0-9a-f]{16}-01$`),
      );
    } finally {
      await fulfillment?.stop();
      await (await nc.jetstreamManager()).consumers.delete('ORDERSTREAM', consumer).catch(() => undefined);
      await inbox.drop();
    }
  });
});

describeIfAvailable(amqpAvailable(), `RabbitMQ at ${AMQP_URL}`)('with tracing on, publishing to RabbitMQ', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      { BUS_URL: AMQP_URL },
      { spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] },
    );
  });
  afterAll(() => server?.close());

  it("sends each event's stored trace context as AMQP message headers", async () => {
    const connection = await amqpConnect(AMQP_URL);
    const channel = await connection.createChannel();
    try {
      await channel.assertExchange('orderstream.events', 'topic', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'orderstream.events', 'Customer.CustomerRegistered');
      const received = new Map<string, Record<string, unknown> | undefined>();
      await channel.consume(
        queue,
        (message) => {
          if (!message) return;
          const { aggregateId } = JSON.parse(message.content.toString()) as { aggregateId: string };
          received.set(aggregateId, message.properties.headers);
        },
        { noAck: true },
      );
      const caller = callerTrace();
      const registered = await server.gql(MUTATIONS.register, {}, { traceparent: caller.traceparent });
      const customerId = registered.data!.registerCustomer.aggregateId as string;
      const metadata = await storedMetadata(server, customerId, 'CustomerRegistered');
      expect(metadata.traceparent).toMatch(new RegExp(`^00-${caller.traceId}-[0-9a-f]{16}-01$`));
      await eventually(async () => expect(received.get(customerId)?.traceparent).toBe(metadata.traceparent));
    } finally {
      await channel.close().catch(() => undefined);
      await connection.close();
    }
  });
});

describe('with no OTEL_* settings', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('starts no tracing and stores no trace context with the events', async () => {
    expect(server.app.services.tracing.enabled).toBe(false);
    const customerId = (await server.gql(MUTATIONS.register)).data!.registerCustomer.aggregateId as string;
    const caller = callerTrace();
    const placed = await server.gql(MUTATIONS.place, { c: customerId }, { traceparent: caller.traceparent });
    expect(placed.errors).toBeUndefined();
    const metadata = await storedMetadata(server, placed.data!.placeOrder.aggregateId, 'OrderPlaced');
    expect(Object.keys(metadata).sort()).toEqual(['causationId', 'correlationId', 'userId']);
  });
});
