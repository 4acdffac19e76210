import type { OrderRecord } from '../../src/orders/read-model';
import { LatestVersions, RowUpdates, SubscriberTooSlow } from '../../src/subscriptions/row-updates';

function order(id: string, version: number, status: OrderRecord['status'] = 'PLACED'): OrderRecord {
  const at = new Date('2026-11-27T00:00:00Z');
  return {
    id,
    customerId: 'c',
    status,
    items: [],
    itemCount: 0,
    totalAmount: '0.00',
    currency: 'EUR',
    cancellationReason: null,
    version,
    placedPosition: 1n,
    createdAt: at,
    updatedAt: at,
    paidAt: null,
    shippedAt: null,
    cancelledAt: null,
    paymentDueAt: null,
  };
}

async function drain(updates: RowUpdates<OrderRecord>): Promise<(string | 'TOO_SLOW')[]> {
  const out: (string | 'TOO_SLOW')[] = [];
  for await (const item of updates)
    out.push(item instanceof SubscriberTooSlow ? 'TOO_SLOW' : `${item.id}@${item.version}`);
  return out;
}

describe('RowUpdates (what a read-model subscriber has waiting)', () => {
  it('sends a lagging client the latest row of each order once, in the order the orders first changed', async () => {
    const updates = new RowUpdates<OrderRecord>(10, () => undefined, new LatestVersions());
    updates.push(order('a', 1));
    updates.push(order('b', 1));
    updates.push(order('a', 2));
    updates.push(order('a', 3));
    updates.push(order('a', 2)); // an older row arriving late changes nothing
    updates.end();
    expect(await drain(updates)).toEqual(['a@3', 'b@1']);
  });

  it('never sends a version at or below one already sent, the current row included', async () => {
    const updates = new RowUpdates<OrderRecord>(10, () => undefined, new LatestVersions());
    updates.startWith(Promise.resolve(order('a', 2)));
    expect((await updates.next()).value).toMatchObject({ id: 'a', version: 2 });
    updates.push(order('a', 2));
    updates.push(order('a', 1));
    updates.push(order('a', 3));
    updates.end();
    expect(await drain(updates)).toEqual(['a@3']);
  });

  it('ends with SUBSCRIBER_TOO_SLOW, after what is waiting, once more than `limit` orders wait', async () => {
    let closed = 0;
    const updates = new RowUpdates<OrderRecord>(2, () => closed++, new LatestVersions());
    updates.push(order('a', 1));
    updates.push(order('b', 1));
    updates.push(order('a', 2)); // the same order again: still two waiting
    expect(closed).toBe(0);
    updates.push(order('c', 1)); // a third: over the limit
    expect(closed).toBe(1);
    updates.push(order('d', 1)); // ended: ignored
    expect(await drain(updates)).toEqual(['a@2', 'b@1', 'TOO_SLOW']);
  });

  it('stops watching when reading the current row fails (the client gets the error, nobody calls return())', async () => {
    let closed = 0;
    const updates = new RowUpdates<OrderRecord>(10, () => closed++, new LatestVersions());
    updates.startWith(Promise.reject(new Error('connection lost')));
    await expect(updates.next()).rejects.toThrow('connection lost');
    expect(closed).toBe(1);
  });

  it('ends a client that is waiting for a change at once when it leaves', async () => {
    let closed = 0;
    const updates = new RowUpdates<OrderRecord>(10, () => closed++, new LatestVersions());
    const pending = updates.next();
    await updates.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(closed).toBe(1);
  });
});
