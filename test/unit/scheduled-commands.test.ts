import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../../src/eventstore';
import type { Statements } from '../../src/log/commit';
import { paymentWindow, paymentWindowKey } from '../../src/orders/payment-window';
import { scheduledCommandsProjector } from '../../src/scheduling/projector';

// What the log schedules: the payment window's plan for each order event (pure), and the projector's net effect of a
// batch on scheduled_commands (what it would write, per key).

const PLACED_AT = new Date('2026-12-01T10:00:00.000Z');

function event(eventType: string, orderId: string, payload: object, version = 1): StoredEvent {
  return {
    eventId: randomUUID(),
    eventType,
    aggregateId: orderId,
    aggregateType: 'Order',
    version,
    position: BigInt(version),
    timestamp: new Date(PLACED_AT.getTime() + (version - 1) * 1000),
    schemaVersion: eventType === 'OrderPlaced' ? 2 : 1,
    payload,
    metadata: { correlationId: 'corr-1', causationId: 'cmd-1', userId: 'u' },
    ownerId: null,
  };
}

const order = { customerId: 'c1', items: [], totalAmount: '0.00', currency: 'EUR' };
const placed = (orderId: string, paymentWindowMs?: number) =>
  event('OrderPlaced', orderId, paymentWindowMs === undefined ? order : { ...order, paymentWindowMs });

describe('the payment window plan', () => {
  it('schedules the expiry at placedAt + window, keyed by the order', () => {
    expect(paymentWindow.plan(placed('o1', 3_600_000))).toEqual({
      schedule: {
        key: paymentWindowKey('o1'),
        dueAt: new Date('2026-12-01T11:00:00.000Z'),
        input: { orderId: 'o1' },
      },
    });
  });

  it('schedules nothing for an order placed without a window', () => {
    expect(paymentWindow.plan(placed('o1'))).toEqual({});
  });

  it.each([
    ['OrderPaid', { amount: '0.00' }],
    ['OrderCancelled', { reason: 'changed my mind' }],
  ])('cancels it on %s', (eventType, payload) => {
    expect(paymentWindow.plan(event(eventType, 'o1', payload, 2))).toEqual({ cancel: [paymentWindowKey('o1')] });
  });
});

/** The statements a batch would send, and their values. */
async function written(events: StoredEvent[]): Promise<{ text: string; values: unknown[] }[]> {
  const sent: { text: string; values: unknown[] }[] = [];
  const client = {
    query: (q: { text: string; values: unknown[] }) => {
      sent.push(q);
      return Promise.resolve({ rows: [] });
    },
  } as unknown as Statements;
  const batch = await scheduledCommandsProjector([paymentWindow]).apply(events, { client, table: (t) => t });
  await batch.write({ client, table: (t) => t });
  return sent;
}

describe('the scheduled-commands projector', () => {
  it("writes each key's last word in the batch: a window scheduled and cancelled within it is never written", async () => {
    const [kept, paid] = [placed('o1', 60_000), placed('o2', 60_000)];
    const sent = await written([kept, paid, event('OrderPaid', 'o2', { amount: '0.00' }, 2)]);
    const upsert = sent.find((q) => q.text.startsWith('INSERT'))!;
    expect(JSON.parse(upsert.values[0] as string)).toEqual([
      {
        key: paymentWindowKey('o1'),
        command: 'ExpireOrderPayment',
        input: { orderId: 'o1' },
        dueAt: '2026-12-01T10:01:00.000Z',
        causationId: kept.eventId,
        correlationId: 'corr-1',
        position: '1',
      },
    ]);
    const cancel = sent.find((q) => q.text.startsWith('DELETE'))!;
    expect(cancel.values).toEqual([[paymentWindowKey('o2')]]);
  });

  it('writes nothing for a batch that schedules and cancels nothing', async () => {
    expect(await written([placed('o1')])).toEqual([]);
  });
});
