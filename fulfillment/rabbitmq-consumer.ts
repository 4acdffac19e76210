import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { retryDelay } from './config';
import { describe, InFlight, RECONNECT, type Consumer, type ConsumerDeps } from './consumer';
import { decisionName, logDecision } from './fulfill';
import { sleep } from './sleep';

/** The bus contract (docs/api.md, "The event bus"): a durable topic exchange, routing key `<aggregateType>.<eventType>`. */
export const EXCHANGE = 'orderstream.events';
export const ROUTING_KEY = 'Order.OrderPaid';

/** The service's durable queue: it collects OrderPaid events while the service is down. */
export const queueName = (consumer: string) => `${consumer}.order-paid`;

// Retry counts per eventId: classic queues only say "redelivered", not how often. Bounded; losing an entry only
// shortens one backoff.
const MAX_TRACKED = 10_000;

/**
 * Manual acks, a bounded prefetch, and a loop that (re)connects with backoff and declares its topology each time:
 * when the connection or channel drops, RabbitMQ requeues every unacknowledged message, and the inbox absorbs the
 * redelivery of one whose effect had already happened.
 */
export function startRabbitConsumer({ config, fulfil, logger, signal, observe, tracing }: ConsumerDeps): Consumer {
  const queue = queueName(config.consumer);
  const log = logger.child({ bus: 'amqp', exchange: EXCHANGE, queue });
  const inFlight = new InFlight(config.concurrency);
  const attempts = new Map<string, number>();
  let current: { channel: Channel; consumerTag: string } | undefined;
  let stopping = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let stopped: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (stopped = resolve));

  const handle = async (channel: Channel, msg: ConsumeMessage) => {
    const key = msg.properties.messageId ? String(msg.properties.messageId) : undefined;
    const attempt = (key ? (attempts.get(key) ?? (msg.fields.redelivered ? 1 : 0)) : 0) + 1;
    const decision = await tracing.processing(
      { system: 'rabbitmq', destination: queue, headers: msg.properties.headers, messageId: key, attempt },
      () => fulfil({ body: msg.content, attempt }),
      decisionName,
    );
    logDecision(log, decision, attempt);
    if (key && decision.action === 'retry') {
      attempts.delete(key);
      attempts.set(key, attempt);
      if (attempts.size > MAX_TRACKED) attempts.delete(attempts.keys().next().value!);
    } else if (key) attempts.delete(key);
    let settled = true;
    try {
      switch (decision.action) {
        case 'ack':
          channel.ack(msg);
          break;
        case 'retry':
          // RabbitMQ has no delayed requeue: the backoff is spent holding the message (it counts against the
          // prefetch, which slows intake while orderstream is failing), then it goes back to the queue. Stopping
          // cuts the wait short.
          await sleep(decision.delayMs, signal);
          channel.nack(msg, false, true);
          break;
        case 'reject':
          // Not requeued: dead-lettered if the queue has a dead-letter exchange, dropped otherwise.
          channel.nack(msg, false, false);
          break;
        case 'abandon':
          channel.nack(msg, false, true);
          break;
      }
    } catch (error) {
      // The channel closed while the message was in hand: RabbitMQ has requeued it already.
      settled = false;
      log.warn({ err: describe(error), eventId: decision.eventId }, 'channel closed before the message was settled');
    }
    observe?.({ decision, attempt, settled });
  };

  const onMessage = (channel: Channel, msg: ConsumeMessage | null) => {
    if (msg === null) {
      // The broker cancelled the consumer (its queue was deleted): reconnect, which declares the queue again.
      log.warn('consumer cancelled by the broker; reconnecting');
      channel.close().catch(() => undefined);
      return;
    }
    inFlight.track(handle(channel, msg));
  };

  const run = async () => {
    for (let failures = 0; !stopping;) {
      let model: ChannelModel | undefined;
      try {
        model = await connect(config.busUrl, {
          clientProperties: { connection_name: `fulfillment:${config.consumer}` },
        });
        const connectionClosed = new Promise<void>((resolve) => model!.once('close', () => resolve()));
        model.on('error', (error: Error) => log.warn({ err: describe(error) }, 'RabbitMQ connection error'));
        const channel = await model.createChannel();
        const channelClosed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
        channel.on('error', (error: Error) => log.warn({ err: describe(error) }, 'RabbitMQ channel error'));
        await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
        await channel.assertQueue(queue, { durable: true });
        await channel.bindQueue(queue, EXCHANGE, ROUTING_KEY);
        await channel.prefetch(config.concurrency);
        const { consumerTag } = await channel.consume(queue, (msg) => onMessage(channel, msg), { noAck: false });
        current = { channel, consumerTag };
        failures = 0;
        log.info({ routingKey: ROUTING_KEY }, 'consuming');
        markReady();
        await Promise.race([connectionClosed, channelClosed, stopRequested]);
        if (!stopping) log.warn('RabbitMQ connection or channel closed; reconnecting');
      } catch (error) {
        if (!stopping) log.warn({ err: describe(error), attempt: failures + 1 }, 'RabbitMQ unavailable; retrying');
      }
      current = undefined;
      // Messages in hand finish on the channel that delivered them (acks are per channel) before it closes.
      if (stopping) await inFlight.drained();
      await model?.close().catch(() => undefined);
      if (!stopping) await sleep(retryDelay(RECONNECT, ++failures), signal);
    }
  };
  const loop = run();

  return {
    ready: Promise.race([ready, stopRequested]),
    async stop() {
      stopping = true;
      // No new deliveries; then the loop waits for those in hand and disconnects.
      if (current) await current.channel.cancel(current.consumerTag).catch(() => undefined);
      stopped();
      await loop;
    },
  };
}
