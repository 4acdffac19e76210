import type { Logger } from 'pino';
import type { StoredEvent } from '../eventstore/types';
import type { PersonalFields } from '../eventstore/personal-data';

export type BusPublisher = {
  /** Connects (or checks the connection); idempotent. Creates/asserts the stream or exchange. */
  connect(): Promise<void>;
  /**
   * Publishes the events in order and resolves once the broker has acknowledged every one of them (pipelined: up to
   * `window` in flight, not one at a time); rejects if any was not acknowledged (then none of the batch may be
   * assumed delivered; the relay will republish from its checkpoint). A rejection also drops the connection, so
   * call `connect()` again before the next `publish`.
   */
  publish(events: readonly StoredEvent[]): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'nats' | 'amqp';
  /** Where it publishes: the JetStream stream or the RabbitMQ exchange (names the relay's publish spans). */
  readonly destination: string;
};

export type PublisherOptions = {
  /** The payload fields left out of each event type's messages: the personal data, which stays behind the API. */
  personalFields: PersonalFields;
  /**
   * How long the broker keeps a message: the NATS stream's `max_age`, set at every connect (so a stream made
   * without one, or with another, gets it). RabbitMQ keeps messages in its consumers' queues, which are theirs.
   */
  retentionMs: number;
  /** Messages sent but not yet acknowledged, at most. */
  window?: number;
  /** How long the broker may take to answer a connect, or to acknowledge the oldest message in flight. */
  timeoutMs?: number;
  logger?: Logger;
};

export const DEFAULT_WINDOW = 256;
export const DEFAULT_TIMEOUT_MS = 10_000;
