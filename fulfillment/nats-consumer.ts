import {
  AckPolicy,
  connect,
  ConsumerEvents,
  DeliverPolicy,
  nanos,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type MsgHdrs,
  type NatsConnection,
  type NatsError,
} from 'nats';
import { retryDelay } from './config';
import { describe, InFlight, RECONNECT, type Consumer, type ConsumerDeps } from './consumer';
import { decisionName, logDecision } from './fulfill';
import { sleep } from './sleep';

/** The bus contract (docs/api.md, "The event bus"): orderstream publishes every event into this stream, one subject per type. */
export const STREAM = 'ORDERSTREAM';
export const SUBJECT = 'orderstream.Order.OrderPaid';

const ACK = new TextEncoder().encode('+ACK');
const ACK_TIMEOUT_MS = 5000;

const NOT_FOUND = new Set([10014, 10059]); // JetStream API: consumer not found, stream not found

/**
 * A durable pull consumer: its position and unacknowledged messages live on the server, so a restarted (or a
 * second) instance resumes where the last acknowledgment left off. Explicit acks; the ack wait covers the
 * shipping delay plus one orderstream call, so a message in hand is not redelivered to another instance meanwhile.
 */
export function startNatsConsumer({ config, fulfil, logger, signal, observe, tracing }: ConsumerDeps): Consumer {
  const log = logger.child({ bus: 'nats', stream: STREAM, durable: config.consumer });
  const inFlight = new InFlight(config.concurrency);
  let nc: NatsConnection | undefined;
  let messages: ConsumerMessages | undefined;
  let pump: Promise<void> = Promise.resolve();
  let closing = false;

  const wanted: Partial<ConsumerConfig> = {
    durable_name: config.consumer,
    description: 'orderstream fulfillment: ships paid orders',
    filter_subject: SUBJECT,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(config.delayMs + config.httpTimeoutMs + 30_000),
    max_ack_pending: config.concurrency,
    max_deliver: -1,
    deliver_policy: config.start === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
  };

  const handle = async (m: JsMsg) => {
    const attempt = m.info.deliveryCount;
    const decision = await tracing.processing(
      { system: 'nats', destination: m.subject, headers: traceHeaders(m.headers), attempt },
      () => fulfil({ body: m.data, attempt }),
      decisionName,
    );
    logDecision(log, decision, attempt);
    let settled = true;
    try {
      switch (decision.action) {
        case 'ack':
          settled = await acknowledge(m);
          break;
        case 'retry':
          m.nak(decision.delayMs);
          break;
        case 'reject':
          m.term();
          break;
        case 'abandon':
          m.nak();
          break;
      }
    } catch (error) {
      settled = false;
      log.warn({ err: error, eventId: decision.eventId }, 'could not settle the message with the server');
    }
    observe?.({ decision, attempt, settled });
  };

  /**
   * An acknowledgment the server confirms, so "acknowledged" is a fact. One sent while the connection was down can
   * be lost; it is sent again (the client itself sends a message's ack only once), since otherwise the message
   * would come back only after the whole ack wait, to be answered from the inbox.
   */
  const acknowledge = async (m: JsMsg): Promise<boolean> => {
    try {
      return await m.ackAck({ timeout: ACK_TIMEOUT_MS });
    } catch (error) {
      const reply = (m as JsMsg & { reply?: string }).reply;
      if (!nc || !reply) throw error;
      for (let attempt = 2; ; attempt++) {
        try {
          await nc.request(reply, ACK, { timeout: ACK_TIMEOUT_MS });
          return true;
        } catch (again) {
          if (attempt >= 3 || signal.aborted) throw again;
        }
      }
    }
  };

  const ready = (async () => {
    nc = await connectWithRetry();
    if (!nc) return;
    void watchConnection(nc);
    const jsm = await nc.jetstreamManager();
    if (!(await ensureConsumer(jsm))) return;
    const first = await subscribe(nc);
    pump = (async () => {
      let feed: ConsumerMessages | undefined = first;
      for (let restarts = 0; ; restarts++) {
        let received = false;
        try {
          for await (const m of feed ?? []) {
            received = true;
            await inFlight.room();
            inFlight.track(handle(m));
          }
        } catch (error) {
          log.warn({ err: describe(error) }, 'the pull feed failed');
        }
        if (closing) return;
        // The feed ended without stop(): the durable was deleted and has been put back, or the client gave up on
        // it. Pull again, so that the service never sits connected and idle; back off only when feeds keep ending
        // before they deliver anything.
        if (received) restarts = 0;
        if (restarts > 0) await sleep(retryDelay(RECONNECT, restarts), signal);
        try {
          if (!(await ensureConsumer(jsm))) return;
          feed = await subscribe(nc!);
          if (closing) {
            await feed.close();
            return;
          }
        } catch (error) {
          feed = undefined;
          log.warn({ err: describe(error) }, 'could not pull from the durable consumer; retrying');
        }
      }
    })();
    log.info({ subject: SUBJECT }, 'consuming');
  })();

  async function subscribe(connection: NatsConnection): Promise<ConsumerMessages> {
    const consumer = await connection.jetstream().consumers.get(STREAM, config.consumer);
    messages = await consumer.consume({ max_messages: config.concurrency });
    void watchConsumer(messages, await connection.jetstreamManager());
    return messages;
  }

  async function connectWithRetry(): Promise<NatsConnection | undefined> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        // Once connected, the client reconnects by itself, for ever; the pull consumer resumes with it.
        return await connect({
          servers: config.busUrl,
          name: `fulfillment:${config.consumer}`,
          maxReconnectAttempts: -1,
        });
      } catch (error) {
        log.warn({ err: describe(error), attempt }, 'NATS unreachable; retrying');
        await sleep(retryDelay(RECONNECT, attempt), signal);
      }
    }
    return undefined;
  }

  /** Waits for the stream (orderstream's relay creates it; a consumer does not define the producer's stream). */
  async function ensureConsumer(jsm: JetStreamManager): Promise<boolean> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const info = await jsm.consumers.info(STREAM, config.consumer).catch((error: NatsError) => {
          if (NOT_FOUND.has(error.api_error?.err_code ?? 0)) return undefined;
          throw error;
        });
        if (!info) {
          await jsm.consumers.add(STREAM, wanted);
          log.info({ deliverPolicy: wanted.deliver_policy }, 'durable consumer created');
        } else if (info.config.filter_subject !== SUBJECT) {
          throw new Error(
            `NATS consumer ${config.consumer} on ${STREAM} filters ${info.config.filter_subject}, not ${SUBJECT}: ` +
              'set FULFILLMENT_CONSUMER to another name',
          );
        } else if (info.config.ack_wait !== wanted.ack_wait || info.config.max_ack_pending !== wanted.max_ack_pending) {
          await jsm.consumers.update(STREAM, config.consumer, {
            ack_wait: wanted.ack_wait,
            max_ack_pending: wanted.max_ack_pending,
          });
        }
        return true;
      } catch (error) {
        if ((error as NatsError).api_error?.err_code !== 10059) throw error;
        if (attempt === 1) log.warn('waiting for the stream: start orderstream with BUS_URL set to create it');
        await sleep(retryDelay(RECONNECT, attempt), signal);
      }
    }
    return false;
  }

  async function watchConnection(connection: NatsConnection): Promise<void> {
    for await (const s of connection.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        log.warn({ status: s.type, data: String(s.data) }, 'NATS connection');
      }
    }
  }

  /**
   * The consumer or the stream deleted under us (an operator, a test): the client would keep pulling from a name
   * that no longer exists, so put the durable back (waiting for the stream if need be) and end this feed, which
   * the pump replaces with a fresh one.
   */
  async function watchConsumer(feed: ConsumerMessages, jsm: JetStreamManager): Promise<void> {
    for await (const s of await feed.status()) {
      const missing =
        s.type === ConsumerEvents.ConsumerDeleted ||
        s.type === ConsumerEvents.ConsumerNotFound ||
        s.type === ConsumerEvents.StreamNotFound;
      if (!missing || closing) continue;
      log.warn({ status: s.type }, 'durable consumer missing; recreating it');
      try {
        await ensureConsumer(jsm);
      } catch (error) {
        log.error({ err: error }, 'could not recreate the durable consumer');
      }
      feed.stop();
      return;
    }
  }

  return {
    ready,
    async stop() {
      closing = true;
      await ready.catch(() => undefined);
      // No new pulls; messages already received still go through the step (aborted waits give them back).
      await messages?.close().catch(() => undefined);
      await pump.catch(() => undefined);
      await inFlight.drained();
      // drain: flushes the acks just sent before closing.
      await nc?.drain().catch(() => undefined);
    },
  };
}

/** The W3C trace context among a message's headers (orderstream's relay puts it there). */
function traceHeaders(headers: MsgHdrs | undefined): Record<string, string> | undefined {
  const traceparent = headers?.get('traceparent');
  if (!traceparent) return undefined;
  const tracestate = headers?.get('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}
