import { randomUUID } from 'node:crypto';
import { caughtUp, rebuild } from '../support/read-model';
import { appendRaw } from '../support/raw-events';
import { startTestServer, type TestServer } from '../support/server';

// Money with its currency, through the real server: amounts in each currency's decimals (JPY 0, EUR 2, KWD 3) from
// the input to the events, the aggregate, both projectors' tables and every field that serves them; and an order
// the log holds from before (two decimals, whatever the currency) folded and projected with its currency's.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ORDER = `id currency total { amount currencyCode } totalAmount
  items { productId price { amount currencyCode } total { amount currencyCode } unitPrice lineTotal }`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId order { ${ORDER} } } }`;
const ADD = `mutation ($o: ID!, $item: OrderItemInput!) { addItem(input: { orderId: $o, item: $item }) { order { ${ORDER} } } }`;
const PAY = `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { events { payload } order { total { amount } } } }`;
const READ = `query ($o: ID!) { order(id: $o) { ${ORDER} } }`;
const SPEND = `query ($c: ID!) { customer(id: $c) { lifetimeSpend { amount currencyCode } lifetimeTotals { currency amount } } }`;

async function register(name: string): Promise<string> {
  const res = await server.gql(
    `mutation ($n: String!) { registerCustomer(input: { name: $n, email: "money@example.com" }) { aggregateId } }`,
    { n: name },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.registerCustomer.aggregateId;
}

/** The query tables' rows for an order and its customer, as PostgreSQL holds them (numeric as text: its scale shows). */
async function rows(orderId: string, customerId: string) {
  await caughtUp(server);
  const order = await server.sql.query(`SELECT total_amount::text AS total, items FROM orders WHERE id = $1`, [
    orderId,
  ]);
  const memo = await server.sql.query(`SELECT paid_amount::text AS paid FROM customer_orders WHERE order_id = $1`, [
    orderId,
  ]);
  const customer = await server.sql.query(`SELECT lifetime_totals FROM customers WHERE id = $1`, [customerId]);
  return {
    total: order.rows[0].total,
    prices: order.rows[0].items.map((i: { unitPrice: string }) => i.unitPrice),
    paid: memo.rows[0].paid,
    lifetime: customer.rows[0].lifetime_totals,
  };
}

const fieldsOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  res.errors?.map((e) => [e.extensions?.code, e.extensions?.field]);

describe.each([
  // currency, unit price × 3, then an added item, and the exact totals.
  { currency: 'JPY', price: '2999', placed: '8997', added: '150', addedTotal: '300', total: '9297' },
  { currency: 'KWD', price: '1.234', placed: '3.702', added: '0.001', addedTotal: '0.002', total: '3.704' },
  { currency: 'EUR', price: '29.99', placed: '89.97', added: '0.1', addedTotal: '0.20', total: '90.17' },
])('an order in $currency', ({ currency, price, placed, added, addedTotal, total }) => {
  it('is placed, added to and paid with exact amounts in its decimals, served as Money everywhere', async () => {
    const customerId = await register(`${currency} buyer`);
    const place = await server.gql(PLACE, {
      input: { customerId, currency, items: [{ productId: 'a', quantity: 3, unitPrice: price }] },
    });
    expect(place.errors).toBeUndefined();
    const orderId = place.data!.placeOrder.aggregateId;
    const money = (amount: string) => ({ amount, currencyCode: currency });
    expect(place.data!.placeOrder.order).toEqual({
      id: orderId,
      currency,
      total: money(placed),
      totalAmount: placed,
      items: [{ productId: 'a', price: money(price), total: money(placed), unitPrice: price, lineTotal: placed }],
    });

    const add = await server.gql(ADD, { o: orderId, item: { productId: 'b', quantity: 2, unitPrice: added } });
    expect(add.errors).toBeUndefined();
    const addedPrice = currency === 'EUR' ? '0.10' : added;
    const expected = {
      id: orderId,
      currency,
      total: money(total),
      totalAmount: total,
      items: [
        { productId: 'a', price: money(price), total: money(placed), unitPrice: price, lineTotal: placed },
        {
          productId: 'b',
          price: money(addedPrice),
          total: money(addedTotal),
          unitPrice: addedPrice,
          lineTotal: addedTotal,
        },
      ],
    };
    expect(add.data!.addItem.order).toEqual(expected);

    const pay = await server.gql(PAY, { o: orderId });
    expect(pay.errors).toBeUndefined();
    expect(pay.data!.payOrder.events).toEqual([{ payload: { amount: total } }]);
    // The query table's row, through the API, is the fold's to the digit.
    expect((await server.gql(READ, { o: orderId })).data!.order).toEqual(expected);
    expect((await server.gql(SPEND, { c: customerId })).data!.customer).toEqual({
      lifetimeSpend: [money(total)],
      lifetimeTotals: [{ currency, amount: total }],
    });
    expect(await rows(orderId, customerId)).toEqual({
      total,
      prices: [price, addedPrice],
      paid: total,
      lifetime: { [currency]: total },
    });
  });
});

describe('prices with more decimals than their currency has', () => {
  it.each([
    ['JPY', '29.99'],
    ['EUR', '1.234'],
    ['KWD', '1.2345'],
  ])('refuses a %s order priced %p, naming the field, and appends nothing', async (currency, unitPrice) => {
    const customerId = await register(`Refused ${currency}`);
    const res = await server.gql(PLACE, {
      input: { customerId, currency, items: [{ productId: 'a', quantity: 1, unitPrice }] },
    });
    expect(res.data!.placeOrder).toBeNull();
    expect(fieldsOf(res)).toEqual([['BAD_USER_INPUT', 'items[0].unitPrice']]);
    const log = await server.gql(`query ($c: ID!) { customer(id: $c) { orderCount } }`, { c: customerId });
    expect(log.data!.customer.orderCount).toBe(0);
  });

  it('refuses an added item by the order’s own currency: a JPY order takes no "0.5"', async () => {
    const customerId = await register('Yen adder');
    const place = await server.gql(PLACE, {
      input: { customerId, currency: 'JPY', items: [{ productId: 'a', quantity: 1, unitPrice: '100' }] },
    });
    const orderId = place.data!.placeOrder.aggregateId;
    const res = await server.gql(ADD, { o: orderId, item: { productId: 'b', quantity: 1, unitPrice: '0.5' } });
    expect(fieldsOf(res)).toEqual([['BAD_USER_INPUT', 'item.unitPrice']]);
    const history = await server.gql(`query ($o: ID!) { orderHistory(orderId: $o) { eventType } }`, { o: orderId });
    expect(history.data!.orderHistory).toEqual([{ eventType: 'OrderPlaced' }]);
  });

  it('refuses a currency withdrawn from ISO 4217 (a deprecated CurrencyCode), naming the field', async () => {
    const customerId = await register('Kuna buyer');
    const res = await server.gql(PLACE, {
      input: { customerId, currency: 'HRK', items: [{ productId: 'a', quantity: 1, unitPrice: '1.00' }] },
    });
    expect(fieldsOf(res)).toEqual([['BAD_USER_INPUT', 'currency']]);
  });
});

describe('an order the log holds from before amounts followed their currency', () => {
  // As the API wrote every order until now: two decimals whatever the currency (raw SQL here, as it sits in the log).
  let customerId: string;
  const orderId = randomUUID();
  beforeAll(async () => {
    customerId = await register('Old yen buyer');
    await appendRaw(server.sql, [
      {
        aggregateId: orderId,
        version: 1,
        type: 'OrderPlaced',
        schemaVersion: 2,
        payload: {
          customerId,
          items: [{ productId: 'tea', quantity: 2, unitPrice: '2999.00' }],
          totalAmount: '5998.00',
          currency: 'JPY',
        },
      },
    ]);
    await caughtUp(server);
  });

  const served = {
    id: orderId,
    currency: 'JPY',
    total: { amount: '5998', currencyCode: 'JPY' },
    totalAmount: '5998',
    items: [
      {
        productId: 'tea',
        price: { amount: '2999', currencyCode: 'JPY' },
        total: { amount: '5998', currencyCode: 'JPY' },
        unitPrice: '2999',
        lineTotal: '5998',
      },
    ],
  };

  it('is projected and served with its currency’s decimals, the event left as it was', async () => {
    expect(await rows(orderId, customerId)).toMatchObject({ total: '5998', prices: ['2999'] });
    expect((await server.gql(READ, { o: orderId })).data!.order).toEqual(served);
    const stored = await server.sql.query(`SELECT payload FROM events WHERE aggregate_id = $1`, [orderId]);
    expect(stored.rows[0].payload).toMatchObject({ totalAmount: '5998.00' });
  });

  it('is served with its currency’s decimals from a row the projector wrote before, with two', async () => {
    await server.sql.query(
      `UPDATE orders SET total_amount = 5998.00, items = '[{"productId":"tea","quantity":2,"unitPrice":"2999.00"}]'
       WHERE id = $1`,
      [orderId],
    );
    expect(await rows(orderId, customerId)).toMatchObject({ total: '5998.00', prices: ['2999.00'] });
    expect((await server.gql(READ, { o: orderId })).data!.order).toEqual(served);
  });

  it('is folded for commands: an item added and the order paid in whole yen, the totals exact', async () => {
    const add = await server.gql(ADD, { o: orderId, item: { productId: 'cup', quantity: 1, unitPrice: '500' } });
    expect(add.errors).toBeUndefined();
    expect(add.data!.addItem.order.total).toEqual({ amount: '6498', currencyCode: 'JPY' });
    const pay = await server.gql(PAY, { o: orderId });
    expect(pay.data!.payOrder.events).toEqual([{ payload: { amount: '6498' } }]);
    expect((await server.gql(SPEND, { c: customerId })).data!.customer.lifetimeSpend).toEqual([
      { amount: '6498', currencyCode: 'JPY' },
    ]);
    // The row the projector folds on has the currency's decimals, however it was written before.
    expect(await rows(orderId, customerId)).toEqual({
      total: '6498',
      prices: ['2999', '500'],
      paid: '6498',
      lifetime: { JPY: '6498' },
    });
  });

  it('gives the same rows when the projectors rebuild from the log', async () => {
    const before = await rows(orderId, customerId);
    await rebuild(server, 'orders');
    await rebuild(server, 'customers');
    expect(await rows(orderId, customerId)).toEqual(before);
    expect((await server.gql(READ, { o: orderId })).data!.order.total).toEqual({ amount: '6498', currencyCode: 'JPY' });
  });
});
