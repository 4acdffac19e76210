import type { Logger } from 'pino';
import { shipmentKeys } from './command-keys';
import { retryDelay, type FulfillmentConfig } from './config';
import { parseOrderPaid, type OrderPaid } from './envelope';
import type { Inbox } from './inbox';
import type { OrderstreamApi, ShipResult } from './orderstream-api';
import { sleep } from './sleep';

/** One message as a broker handed it over. */
export type Delivery = {
  body: Uint8Array;
  /** 1 on first delivery, then 2, 3, … as the broker (or, for RabbitMQ, this process) counts redeliveries. */
  attempt: number;
};

/** What the consumer does with the message; the broker adapters map each to their own verb. */
export type Decision =
  /** Done with for good: acknowledge. */
  | { action: 'ack'; eventId: string; orderId: string; outcome: 'shipped' | 'refused' | 'duplicate'; detail: string }
  /** Not done, for a reason that may pass: leave it unacknowledged and have it delivered again after `delayMs`. */
  | { action: 'retry'; eventId?: string; delayMs: number; reason: string }
  /** Never processable (not an OrderPaid envelope): drop it (dead-letter), never deliver it again. */
  | { action: 'reject'; eventId?: string; reason: string }
  /** The service is stopping before the message was done: give it back for immediate redelivery. */
  | { action: 'abandon'; eventId: string };

/**
 * Test seams: where a test learns what the service holds, or makes the process "crash" (throw) between two steps.
 * A throw there is handled like any unexpected failure: the message is not acknowledged and comes back.
 */
export type FulfillmentHooks = {
  /** A valid OrderPaid is in hand, nothing done with it yet. */
  received?(event: OrderPaid): void;
  /** After orderstream answered shipOrder (under the last key tried), before the inbox row is written. */
  afterShip?(event: OrderPaid, result: ShipResult): void | Promise<void>;
};

export type Fulfiller = (delivery: Delivery) => Promise<Decision>;

/**
 * The processing step, broker-agnostic. Its order is the whole idempotency argument:
 * 1. inbox hit → acknowledge, nothing else (a redelivery of an event already done);
 * 2. shipOrder with commandId = the event's id, so a call repeated after a crash (2 done, 3 not) is answered by
 *    orderstream with the first result and ships nothing twice; causationId follows from it (orderstream sets
 *    causationId = commandId), and correlationId is carried over from the event. Should that key have been used
 *    for another command (IDEMPOTENCY_CONFLICT), the next key derived from the event is tried, with a warning: the
 *    same keys in the same order on every delivery, so a repeat still lands on the key that shipped;
 * 3. the inbox row (with any effects of the service's own, in one transaction);
 * 4. only then acknowledge (by the caller). A crash before 4 means a redelivery, which 1 or 2 absorbs.
 */
export function createFulfiller(deps: {
  config: Pick<FulfillmentConfig, 'delayMs' | 'retryBaseMs' | 'retryMaxMs'>;
  inbox: Inbox;
  api: OrderstreamApi;
  logger: Logger;
  /** Aborted when the service stops: a message still waiting for its shipping time is abandoned. */
  signal: AbortSignal;
  hooks?: FulfillmentHooks;
  now?: () => number;
}): Fulfiller {
  const { config, inbox, api, logger, signal, hooks = {}, now = Date.now } = deps;
  const ship = async (event: OrderPaid): Promise<Exclude<ShipResult, { kind: 'conflict' }>> => {
    const { eventId, aggregateId: orderId } = event;
    const keys = shipmentKeys(eventId);
    for (const [i, commandId] of keys.entries()) {
      const result = await api.shipOrder({ orderId, commandId, correlationId: event.metadata.correlationId });
      if (result.kind !== 'conflict') return result;
      logger.warn(
        { eventId, orderId, commandId, next: keys[i + 1], message: result.message },
        'commandId already used for another command (IDEMPOTENCY_CONFLICT): trying the next key derived from the event',
      );
    }
    return { kind: 'refused', code: 'IDEMPOTENCY_CONFLICT', message: `every key derived from ${eventId} was taken` };
  };
  const retry = (attempt: number, reason: string, eventId?: string, afterMs?: number): Decision => ({
    action: 'retry',
    eventId,
    reason,
    delayMs: Math.max(afterMs ?? 0, retryDelay(config, attempt)),
  });

  return async ({ body, attempt }) => {
    const parsed = parseOrderPaid(body);
    if (!parsed.ok) return { action: 'reject', eventId: parsed.eventId, reason: parsed.reason };
    const event = parsed.event;
    const { eventId, aggregateId: orderId } = event;
    try {
      hooks.received?.(event);
      const done = await inbox.outcome(eventId);
      if (done !== undefined) return { action: 'ack', eventId, orderId, outcome: 'duplicate', detail: done };

      // The delay runs from when the order was paid, not from when the message arrived: a late or redelivered
      // message is not held back a second time.
      const due = Date.parse(event.timestamp) + config.delayMs;
      if (!(await sleep(due - now(), signal))) return { action: 'abandon', eventId };

      const result = await ship(event);
      await hooks.afterShip?.(event, result);
      if (result.kind === 'retry') return retry(attempt, result.reason, eventId, result.afterMs);

      const outcome =
        result.kind === 'shipped' ? 'shipped' : ['refused', result.code, result.rule].filter(Boolean).join(':');
      await inbox.record({ eventId, orderId, outcome });
      return result.kind === 'shipped'
        ? { action: 'ack', eventId, orderId, outcome: 'shipped', detail: `version ${result.version}` }
        : { action: 'ack', eventId, orderId, outcome: 'refused', detail: `${outcome}: ${result.message}` };
    } catch (error) {
      // The inbox database, or a hook: nothing is acknowledged, so the broker delivers the event again.
      logger.debug({ err: error, eventId }, 'processing failed');
      return retry(attempt, error instanceof Error ? error.message : String(error), eventId);
    }
  };
}

/** What became of a message, in a word: `ack:shipped`, `retry`, `reject`, … */
export function decisionName(decision: Decision): string {
  return decision.action === 'ack' ? `ack:${decision.outcome}` : decision.action;
}

/** One log line per settled message, at a level that says whether anyone needs to look. */
export function logDecision(logger: Logger, decision: Decision, attempt: number): void {
  switch (decision.action) {
    case 'ack':
      if (decision.outcome === 'refused') logger.warn({ ...decision, attempt }, 'shipment refused by orderstream');
      else if (decision.outcome === 'duplicate') logger.info({ ...decision, attempt }, 'already processed (inbox)');
      else logger.info({ ...decision, attempt }, 'order shipped');
      return;
    case 'retry':
      logger.warn({ ...decision, attempt }, 'will retry');
      return;
    case 'reject':
      logger.error({ ...decision, attempt }, 'message rejected: not an Order.OrderPaid envelope');
      return;
    case 'abandon':
      logger.info({ ...decision, attempt }, 'stopping: message given back');
      return;
    default:
      return assertNever(decision);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected decision ${JSON.stringify(value)}`);
}
