import { amqpPublisher } from './amqp-publisher';
import { natsPublisher } from './nats-publisher';
import type { BusPublisher, PublisherOptions } from './types';

export type { BusPublisher, PublisherOptions } from './types';

/** The publisher for `url`'s broker: `nats://` for NATS JetStream, `amqp://` or `amqps://` for RabbitMQ. */
export function createPublisher(url: string, options: PublisherOptions): BusPublisher {
  const { window, timeoutMs, retentionMs } = options;
  for (const [name, value] of Object.entries({ window, timeoutMs, retentionMs })) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'nats') return natsPublisher(url, options);
  if (scheme === 'amqp' || scheme === 'amqps') return amqpPublisher(url, options);
  throw new Error(`BUS_URL must start with nats://, amqp:// or amqps://, got ${scheme ? `${scheme}://` : 'no scheme'}`);
}
