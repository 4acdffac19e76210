import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DERIVED_KEYS, shipmentKeys, uuidV5 } from '../../fulfillment/command-keys';
import { createFulfiller, type FulfillmentHooks } from '../../fulfillment/fulfill';
import type { Inbox, InboxEntry } from '../../fulfillment/inbox';
import { createOrderstreamApi } from '../../fulfillment/orderstream-api';

// The fulfillment service's answer to IDEMPOTENCY_CONFLICT: an alert, and the same shipment under the next key
// derived from the event, walked in the same order on every delivery so that nothing ships twice.

/**
 * orderstream's shipOrder as far as keys go, behind a real fetch-shaped seam: a key seen before answers with its
 * first result, or IDEMPOTENCY_CONFLICT when it was used for another command (`taken`).
 */
function fakeOrderstream(taken: Iterable<string>) {
  const results = new Map<string, { version: number; events: { eventId: string }[] }>();
  const conflicts = new Set(taken);
  const commandIds: string[] = [];
  let shipments = 0;
  const fetch = async (_url: unknown, init?: RequestInit) => {
    const { variables } = JSON.parse(String(init!.body)) as { variables: { input: { commandId: string } } };
    const { commandId } = variables.input;
    commandIds.push(commandId);
    if (conflicts.has(commandId)) {
      const message = `commandId ${commandId} was already used for a different command`;
      return Response.json({
        data: { shipOrder: null },
        errors: [{ message, extensions: { code: 'IDEMPOTENCY_CONFLICT' } }],
      });
    }
    let result = results.get(commandId);
    if (!result) {
      shipments += 1;
      results.set(commandId, (result = { version: 3, events: [{ eventId: randomUUID() }] }));
    }
    return Response.json({ data: { shipOrder: { aggregateId: 'o', ...result } } });
  };
  const api = createOrderstreamApi({
    url: 'http://orderstream.invalid',
    token: 'token',
    timeoutMs: 1000,
    fetch: fetch as typeof globalThis.fetch,
    tracing: { calling: (_name, _attributes, fn) => fn({}) },
  });
  return { api, commandIds, shipments: () => shipments };
}

function memoryInbox(): Inbox & { entries: InboxEntry[] } {
  const entries: InboxEntry[] = [];
  return {
    entries,
    outcome: async (eventId) => entries.find((e) => e.eventId === eventId)?.outcome,
    async record(entry) {
      if (entries.some((e) => e.eventId === entry.eventId)) return false;
      entries.push(entry);
      return true;
    },
  };
}

function paidEvent() {
  const eventId = randomUUID();
  const envelope = {
    eventId,
    eventType: 'OrderPaid',
    aggregateId: randomUUID(),
    aggregateType: 'Order',
    version: 2,
    position: '65537',
    timestamp: new Date(Date.now() - 60_000).toISOString(),
    schemaVersion: 1,
    payload: { amount: '1.00' },
    metadata: { correlationId: 'checkout-1', causationId: 'pay-1', userId: 'alice' },
  };
  return { eventId, orderId: envelope.aggregateId, body: Buffer.from(JSON.stringify(envelope)) };
}

function fulfiller(orderstream: ReturnType<typeof fakeOrderstream>, hooks?: FulfillmentHooks) {
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    warn: (obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg }),
    debug: () => undefined,
  } as unknown as Logger;
  const inbox = memoryInbox();
  const fulfil = createFulfiller({
    config: { delayMs: 0, retryBaseMs: 10, retryMaxMs: 100 },
    inbox,
    api: orderstream.api,
    logger,
    signal: new AbortController().signal,
    hooks,
  });
  return { fulfil, inbox, warnings };
}

it('derives its keys as RFC 9562 UUIDv5s of the eventId, the same list every time', () => {
  expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  );
  const eventId = randomUUID();
  const keys = shipmentKeys(eventId);
  expect(keys).toHaveLength(1 + DERIVED_KEYS);
  expect(keys[0]).toBe(eventId);
  expect(new Set(keys).size).toBe(keys.length);
  expect(shipmentKeys(eventId)).toEqual(keys);
});

it('ships under the next key derived from the event when its eventId meets IDEMPOTENCY_CONFLICT, with a warning', async () => {
  const { eventId, orderId, body } = paidEvent();
  const [, derived] = shipmentKeys(eventId);
  const orderstream = fakeOrderstream([eventId]);
  const { fulfil, inbox, warnings } = fulfiller(orderstream);

  const decision = await fulfil({ body, attempt: 1 });
  expect(decision).toMatchObject({ action: 'ack', outcome: 'shipped', eventId, orderId });
  expect(orderstream.commandIds).toEqual([eventId, derived]);
  expect(orderstream.shipments()).toBe(1);
  expect(inbox.entries).toEqual([{ eventId, orderId, outcome: 'shipped' }]);
  expect(warnings).toEqual([
    expect.objectContaining({ obj: expect.objectContaining({ eventId, commandId: eventId, next: derived }) }),
  ]);
});

it('walks the same keys when the event comes again after a crash, landing on the key that shipped: one shipment', async () => {
  const { eventId, body } = paidEvent();
  const [, derived] = shipmentKeys(eventId);
  const orderstream = fakeOrderstream([eventId]);
  let crashes = 1;
  const { fulfil, inbox } = fulfiller(orderstream, {
    afterShip() {
      if (crashes-- > 0) throw new Error('simulated crash: shipped, but the inbox row is not written');
    },
  });

  expect(await fulfil({ body, attempt: 1 })).toMatchObject({ action: 'retry' });
  expect(await fulfil({ body, attempt: 2 })).toMatchObject({ action: 'ack', outcome: 'shipped' });
  expect(orderstream.commandIds).toEqual([eventId, derived, eventId, derived]);
  expect(orderstream.shipments()).toBe(1);
  expect(inbox.entries.map((e) => e.outcome)).toEqual(['shipped']);
});

it('records IDEMPOTENCY_CONFLICT as a refusal only once every derived key is taken too', async () => {
  const { eventId, orderId, body } = paidEvent();
  const keys = shipmentKeys(eventId);
  const orderstream = fakeOrderstream(keys);
  const { fulfil, inbox, warnings } = fulfiller(orderstream);

  expect(await fulfil({ body, attempt: 1 })).toMatchObject({ action: 'ack', outcome: 'refused' });
  expect(orderstream.commandIds).toEqual(keys);
  expect(warnings).toHaveLength(keys.length);
  expect(inbox.entries).toEqual([{ eventId, orderId, outcome: 'refused:IDEMPOTENCY_CONFLICT' }]);
});
