import {
  connect,
  headers as natsHeaders,
  nanos,
  NatsError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type MsgHdrs,
  type NatsConnection,
} from 'nats';
import type { Logger } from 'pino';
import type { TraceContext } from '../observability/tracing';
import { AckWindow } from './ack-window';
import { busMessage } from './envelope';
import { DEFAULT_TIMEOUT_MS, DEFAULT_WINDOW, type BusPublisher, type PublisherOptions } from './types';

export const STREAM = 'ORDERSTREAM';
const SUBJECTS = 'orderstream.>';
/**
 * How long JetStream remembers a Nats-Msg-Id to drop its repeats. It covers what the relay republishes: a batch
 * after a lost acknowledgement (seconds later) or after a restart between publish and checkpoint (a restart is
 * usually quicker). Longer would cost the server memory for every id in the window; past it a repeat is stored
 * again, and consumers' own deduplication by eventId (at-least-once) is what holds.
 */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** JetStream's code for "stream not found". */
const STREAM_NOT_FOUND = 10059;

/**
 * Publishes to the JetStream stream ORDERSTREAM over one connection, whose order is the order the stream stores.
 *
 * nats.js reconnects by itself if asked, buffering what is published meanwhile and sending it after reconnecting.
 * That would break per-aggregate order at the broker: the messages written into the dying socket are lost, the
 * buffered ones after them are stored, and the relay's republishing of the lost ones comes after those. So this
 * connection does not reconnect: a lost connection fails the batch, and the relay's `connect()` makes a new one.
 */
export function natsPublisher(url: string, options: PublisherOptions): BusPublisher {
  const window = options.window ?? DEFAULT_WINDOW;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { logger, personalFields, retentionMs } = options;
  let current: { nc: NatsConnection; js: JetStreamClient } | undefined;
  let connecting: Promise<void> | undefined;

  /** Gives up `dropped` (the one in use when not given), and closes it. */
  const drop = async (dropped = current) => {
    if (current === dropped) current = undefined;
    await dropped?.nc.close();
  };

  /** A new connection, with the stream created or brought to what it must be. */
  const open = async () => {
    await drop();
    const nc = await connect({ servers: url, reconnect: false, timeout: timeoutMs, name: 'orderstream' });
    try {
      await ensureStream(await nc.jetstreamManager({ timeout: timeoutMs }), retentionMs, logger);
    } catch (error) {
      await nc.close();
      throw error;
    }
    void nc.closed().then((error) => {
      if (error) logger?.warn({ err: error }, 'NATS connection lost');
    });
    current = { nc, js: nc.jetstream({ timeout: timeoutMs }) };
  };

  return {
    kind: 'nats',
    destination: STREAM,

    connect() {
      if (current && !current.nc.isClosed()) return Promise.resolve();
      connecting ??= open().finally(() => (connecting = undefined));
      return connecting;
    },

    async publish(events) {
      const used = current;
      if (!used) throw new Error('NATS publisher is not connected');
      const acks = new AckWindow(window, timeoutMs);
      try {
        for (const event of events) {
          await acks.room();
          const { subject, body, id, headers } = busMessage(event, personalFields);
          acks.add(used.js.publish(subject, body, { msgID: id, timeout: timeoutMs, headers: traceHeaders(headers) }));
        }
        await acks.all();
      } catch (error) {
        // The connection may be what failed (a hung server acknowledges nothing): the next connect() starts afresh.
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

/** The trace context as NATS headers (Nats-Msg-Id is added to them by the client); none without one. */
function traceHeaders(context: TraceContext | undefined): MsgHdrs | undefined {
  if (!context) return undefined;
  const h = natsHeaders();
  h.set('traceparent', context.traceparent);
  if (context.tracestate) h.set('tracestate', context.tracestate);
  return h;
}

/**
 * Creates the stream, or brings an existing one to what the relay needs: our subjects added, the duplicate window
 * raised to ours (an operator's longer one is kept), and `max_age` set to the retention. The retention is
 * BUS_RETENTION's, whatever the stream had: a stream made by an earlier release (no age limit) gets it on upgrade,
 * and a changed BUS_RETENTION applies at the next start. JetStream refuses a duplicate window longer than
 * `max_age`, so the window is cut to it. Storage cannot change once created: a memory stream only gets a warning.
 */
async function ensureStream(jsm: JetStreamManager, retentionMs: number, logger: Logger | undefined): Promise<void> {
  const maxAge = nanos(retentionMs);
  const window = nanos(DUPLICATE_WINDOW_MS);
  const info = await jsm.streams.info(STREAM).catch((error: unknown) => {
    if (error instanceof NatsError && error.api_error?.err_code === STREAM_NOT_FOUND) return undefined;
    throw error;
  });
  if (!info) {
    await jsm.streams.add({
      name: STREAM,
      subjects: [SUBJECTS],
      storage: StorageType.File,
      max_age: maxAge,
      duplicate_window: Math.min(window, maxAge),
    });
    logger?.info({ stream: STREAM, retentionMs }, 'created the JetStream stream');
    return;
  }
  const { config } = info;
  const subjects = config.subjects ?? [];
  if (config.storage !== StorageType.File) {
    logger?.warn({ stream: STREAM, storage: config.storage }, 'the stream does not keep events on disk');
  }
  const wanted = {
    subjects: subjects.includes(SUBJECTS) ? subjects : [...subjects, SUBJECTS],
    max_age: maxAge,
    duplicate_window: Math.min(Math.max(config.duplicate_window, window), maxAge),
  };
  if (
    wanted.subjects === subjects &&
    config.max_age === wanted.max_age &&
    config.duplicate_window === wanted.duplicate_window
  ) {
    return;
  }
  await jsm.streams.update(STREAM, { ...config, ...wanted });
  logger?.info(
    // 0 is JetStream's "no age limit": a stream an earlier release made.
    { stream: STREAM, retentionMs, previousRetentionMs: config.max_age / 1e6 || null },
    'updated the JetStream stream',
  );
}
