import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { once } from 'node:events';
import { AckWindow } from './ack-window';
import { withTimeout } from './deadline';
import { busMessage } from './envelope';
import { DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW, type BusPublisher, type PublisherOptions } from './types';

export const EXCHANGE = 'orderstream.events';

/**
 * Publishes to RabbitMQ's topic exchange `orderstream.events` on one confirm channel, whose order is the order the
 * broker routes in. A connection or channel that fails is dropped, never reused: the next `connect()` opens another.
 * (amqplib's own recovery is not used: it would hide a lost channel's unconfirmed messages behind a new channel.)
 * `retentionMs` has nothing to apply to here: an exchange stores nothing, and messages wait in the queues consumers
 * declare, for as long as they say (`x-message-ttl`, `x-max-length`, an operator's policy).
 */
export function amqpPublisher(url: string, options: PublisherOptions): BusPublisher {
  const window = options.window ?? DEFAULT_WINDOW;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { logger, personalFields } = options;
  let current: { connection: ChannelModel; channel: ConfirmChannel } | undefined;
  let connecting: Promise<void> | undefined;

  /** Gives up `dropped` (the one in use when not given), and closes it. */
  const drop = async (dropped = current) => {
    if (current === dropped) current = undefined;
    const connection = dropped?.connection;
    // Closing waits for the broker's answer, which a hung broker never gives; closing a connection the broker
    // already closed throws. Either way it is given up.
    if (connection) await withTimeout(connection.close(), timeoutMs, 'closing').catch(() => undefined);
  };

  /** A new connection with its confirm channel and the exchange asserted. */
  const open = async () => {
    const connection = await connect(url, { timeout: timeoutMs });
    const lost = (error?: Error) => {
      if (current?.connection !== connection) return;
      current = undefined;
      void connection.close().catch(() => undefined);
      logger?.warn({ err: error }, 'RabbitMQ connection or channel lost');
    };
    // An 'error' event without a listener would crash the process.
    connection.on('error', lost).on('close', lost);
    connection.on('blocked', (reason) => logger?.warn({ reason }, 'RabbitMQ is refusing publishes'));
    connection.on('unblocked', () => logger?.info('RabbitMQ accepts publishes again'));
    const setUp = async () => {
      const channel = await connection.createConfirmChannel();
      channel.on('error', lost).on('close', lost);
      await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
      return channel;
    };
    try {
      current = { connection, channel: await withTimeout(setUp(), timeoutMs, 'opening a channel') };
    } catch (error) {
      void connection.close().catch(() => undefined);
      throw error;
    }
  };

  return {
    kind: 'amqp',
    destination: EXCHANGE,

    connect() {
      if (current) return Promise.resolve();
      connecting ??= open().finally(() => (connecting = undefined));
      return connecting;
    },

    async publish(events) {
      const used = current;
      if (!used) throw new Error('RabbitMQ publisher is not connected');
      const { channel } = used;
      const acks = new AckWindow(window, timeoutMs);
      try {
        for (const event of events) {
          await acks.room();
          const { routingKey, body, id, headers } = busMessage(event, personalFields);
          let writable = true;
          acks.add(
            new Promise<void>((resolve, reject) => {
              writable = channel.publish(
                EXCHANGE,
                routingKey,
                body,
                {
                  persistent: true,
                  messageId: id,
                  contentType: 'application/json',
                  type: event.eventType,
                  // AMQP timestamps are whole seconds; the envelope has the exact time.
                  timestamp: Math.floor(event.timestamp.getTime() / 1000),
                  appId: 'orderstream',
                  headers,
                },
                (error) => (error ? reject(error) : resolve()),
              );
            }),
          );
          // The socket's buffer is full: sending more would only grow memory until it drains.
          if (!writable) await acks.wait(once(channel, 'drain'));
        }
        await acks.all();
      } catch (error) {
        // The channel may be what failed (a hung broker confirms nothing): the next connect() starts afresh.
        await drop(used);
        throw error;
      }
    },

    async close() {
      // A connection being opened would otherwise outlive the close.
      await connecting?.catch(() => undefined);
      await drop();
    },
  };
}
