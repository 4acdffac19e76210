import { randomUUID } from 'node:crypto';
import { customersProjector } from '../../src/orders/customers-projector';
import { ordersProjector } from '../../src/orders/projector';
import { ORDER_MODEL } from '../../src/orders/read-model';
import { openStore, type StoreFixture } from '../support/event-store';
import { projectorSpec } from '../support/projector-spec';

// Given events, then rows: each projector's own logic against a real database, without the runner.

let f: StoreFixture;
beforeAll(async () => {
  f = await openStore();
});
afterAll(() => f.close());

const item = (productId: string, quantity: number, unitPrice: string) => ({ productId, quantity, unitPrice });

describe('the orders projector', () => {
  const spec = () => projectorSpec(f.pool, ordersProjector);
  const placed = (customerId: string) => ({
    customerId,
    items: [item('book', 2, '29.99')],
    totalAmount: '59.98',
    currency: 'EUR',
  });
  const statusCount = async (s: ReturnType<typeof spec>, status: string): Promise<number> =>
    Number((await s.rows('order_status_counts', 'status = $1', [status]))[0]?.count ?? 0);

  it('writes an order row when it is placed, positioned by its OrderPlaced event', async () => {
    const s = spec();
    const id = randomUUID();
    const event = s.event('Order', id, 'OrderPlaced', placed('c-1'));
    await s.given([event]);
    expect(await s.rows('orders', 'id = $1', [id])).toEqual([
      expect.objectContaining({
        id,
        customer_id: 'c-1',
        status: 'PLACED',
        item_count: 2,
        total_amount: 59.98,
        version: 1,
        placed_position: Number(event.position),
        paid_at: null,
      }),
    ]);
  });

  it('moves an order through its statuses and the counts with it, one count row per status in use', async () => {
    const s = spec();
    const id = randomUUID();
    const before = { placed: await statusCount(s, 'PLACED'), paid: await statusCount(s, 'PAID') };
    await s.given([s.event('Order', id, 'OrderPlaced', placed('c-2'))]);
    await s.given([
      s.event('Order', id, 'ItemAdded', { item: item('pen', 3, '0.10') }),
      s.event('Order', id, 'OrderPaid', { amount: '60.28' }),
    ]);
    const [row] = await s.rows('orders', 'id = $1', [id]);
    expect(row).toMatchObject({ status: 'PAID', item_count: 5, total_amount: 60.28, version: 3 });
    expect(row!.paid_at).not.toBeNull();
    expect(await statusCount(s, 'PLACED')).toBe(before.placed);
    expect(await statusCount(s, 'PAID')).toBe(before.paid + 1);
  });

  it('changes nothing when it is handed events it has already applied', async () => {
    const s = spec();
    const id = randomUUID();
    const events = [s.event('Order', id, 'OrderPlaced', placed('c-3')), s.event('Order', id, 'OrderShipped', {})];
    await s.given(events);
    const once = await s.rows('orders', 'id = $1', [id]);
    const counts = await s.rows('order_status_counts');
    expect(await s.given(events, [events[1]!])).toEqual([]);
    expect(await s.rows('orders', 'id = $1', [id])).toEqual(once);
    expect(await s.rows('order_status_counts')).toEqual(counts);
  });

  it('reports each changed row once per batch, at its latest version', async () => {
    const s = spec();
    const id = randomUUID();
    const changes = await s.given([
      s.event('Order', id, 'OrderPlaced', placed('c-4')),
      s.event('Order', id, 'OrderCancelled', { reason: 'changed my mind' }),
    ]);
    expect(changes).toEqual([
      {
        model: ORDER_MODEL,
        id,
        row: expect.objectContaining({ status: 'CANCELLED', version: 2, cancellationReason: 'changed my mind' }),
      },
    ]);
  });
});

describe('the customers projector', () => {
  const spec = () => projectorSpec(f.pool, customersProjector);

  it('counts a customer’s orders and what they paid, less what a cancellation refunded', async () => {
    const s = spec();
    const customer = randomUUID();
    const [kept, refunded, unpaid] = [randomUUID(), randomUUID(), randomUUID()];
    const place = (order: string, total: string) =>
      s.event('Order', order, 'OrderPlaced', {
        customerId: customer,
        items: [item('x', 1, total)],
        totalAmount: total,
        currency: 'EUR',
      });
    await s.given([s.event('Customer', customer, 'CustomerRegistered', { name: 'Ada', email: 'ada@example.com' })]);
    await s.given(
      [place(kept, '10.00'), place(refunded, '5.50'), place(unpaid, '1.00')],
      [
        s.event('Order', kept, 'OrderPaid', { amount: '10.00' }),
        s.event('Order', refunded, 'OrderPaid', { amount: '5.50' }),
      ],
      [s.event('Order', refunded, 'OrderCancelled', {}), s.event('Order', unpaid, 'OrderCancelled', {})],
    );
    expect(await s.rows('customers', 'id = $1', [customer])).toEqual([
      expect.objectContaining({
        id: customer,
        name: 'Ada',
        active: true,
        order_count: 3,
        lifetime_totals: { EUR: '10.00' },
        version: 1,
      }),
    ]);
    expect((await s.rows('customer_orders', 'customer_id = $1', [customer])).map((m) => m.paid_amount).sort()).toEqual([
      0, 0, 10,
    ]);
  });

  it('keeps a deactivated customer’s reason and figures', async () => {
    const s = spec();
    const customer = randomUUID();
    await s.given([
      s.event('Customer', customer, 'CustomerRegistered', { name: 'Bo', email: 'bo@example.com' }),
      s.event('Customer', customer, 'CustomerDeactivated', { reason: 'closed' }),
    ]);
    expect(await s.rows('customers', 'id = $1', [customer])).toEqual([
      expect.objectContaining({
        active: false,
        deactivation_reason: 'closed',
        order_count: 0,
        lifetime_totals: {},
        version: 2,
      }),
    ]);
  });

  it('keeps a total per currency: amounts in different currencies are never added together', async () => {
    const s = spec();
    const customer = randomUUID();
    const [euros, dollars, refundedDollars] = [randomUUID(), randomUUID(), randomUUID()];
    const place = (order: string, total: string, currency: string) =>
      s.event('Order', order, 'OrderPlaced', {
        customerId: customer,
        items: [item('x', 1, total)],
        totalAmount: total,
        currency,
      });
    await s.given(
      [s.event('Customer', customer, 'CustomerRegistered', { name: 'Cy', email: 'cy@example.com' })],
      [place(euros, '10.00', 'EUR'), place(dollars, '2.25', 'USD'), place(refundedDollars, '7.00', 'USD')],
    );
    await s.given(
      [
        s.event('Order', euros, 'OrderPaid', { amount: '10.00' }),
        s.event('Order', dollars, 'OrderPaid', { amount: '2.25' }),
      ],
      [s.event('Order', refundedDollars, 'OrderPaid', { amount: '7.00' })],
      [s.event('Order', refundedDollars, 'OrderCancelled', {})],
    );
    expect(await s.rows('customers', 'id = $1', [customer])).toEqual([
      expect.objectContaining({ order_count: 3, lifetime_totals: { EUR: '10.00', USD: '2.25' } }),
    ]);
    expect(
      (await s.rows('customer_orders', 'customer_id = $1', [customer])).map((m) => [m.currency, m.paid_amount]).sort(),
    ).toEqual([
      ['EUR', 10],
      ['USD', 0],
      ['USD', 2.25],
    ]);
  });
});
