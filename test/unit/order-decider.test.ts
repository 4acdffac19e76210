import type { CustomerState } from '../../src/customers/state';
import { decideOrder, type OrderCommand, type OrderItemInput } from '../../src/orders/decide';
import type { OrderEvent, OrderItem } from '../../src/orders/events';
import { evolveOrder, type OrderState } from '../../src/orders/state';
import { deciderSpec, deepFreeze, invalidInput, notFound, recorded, ruleViolation } from '../support/decider-spec';

const orderDecider = {
  decide: decideOrder,
  evolve: evolveOrder,
  initialState: null,
  versionOf: (state: OrderState | null) => state?.version ?? 0,
};
const { given, givenState } = deciderSpec(orderDecider);

// ---- fixtures -------------------------------------------------------------------------------------------------

const CUSTOMER_ID = 'cust-1';
const registeredAt = new Date('2026-01-01T09:00:00.000Z');
const activeCustomer: CustomerState = {
  id: CUSTOMER_ID,
  name: 'Ada',
  email: 'ada@example.com',
  active: true,
  deactivationReason: null,
  version: 1,
  registeredAt,
  updatedAt: registeredAt,
  deactivatedAt: null,
  forgottenAt: null,
};
const deactivatedAt = new Date('2026-01-01T10:00:00.000Z');
const inactiveCustomer: CustomerState = {
  ...activeCustomer,
  active: false,
  deactivationReason: 'moved away',
  version: 2,
  updatedAt: deactivatedAt,
  deactivatedAt,
};
const unknownCustomer = null;

const input = (productId: string, quantity: number, unitPrice: string): OrderItemInput => ({
  productId,
  quantity,
  unitPrice,
});
const item = (productId: string, quantity: number, unitPrice: string): OrderItem => ({
  productId,
  quantity,
  unitPrice,
});

const placeOrder = (items: OrderItemInput[], customer: CustomerState | null = activeCustomer): OrderCommand => ({
  type: 'PlaceOrder',
  customerId: CUSTOMER_ID,
  customer,
  items,
  currency: 'EUR',
});
const addItem = (i: OrderItemInput): OrderCommand => ({ type: 'AddItem', item: i });
const payOrder: OrderCommand = { type: 'PayOrder' };
const shipOrder: OrderCommand = { type: 'ShipOrder' };
const cancelOrder = (reason?: string): OrderCommand =>
  reason === undefined ? { type: 'CancelOrder' } : { type: 'CancelOrder', reason };

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: { customerId: CUSTOMER_ID, items: [item('book', 2, '29.99')], totalAmount: '59.98', currency: 'EUR' },
};
const paid: OrderEvent = { type: 'OrderPaid', data: { amount: '59.98' } };
const shipped: OrderEvent = { type: 'OrderShipped', data: {} };
const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason: 'changed my mind' } };

const statuses: Record<'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED', OrderEvent[]> = {
  PLACED: [placed],
  PAID: [placed, paid],
  SHIPPED: [placed, paid, shipped],
  CANCELLED: [placed, cancelled],
};

// ---- tests ----------------------------------------------------------------------------------------------------

describe('order decider', () => {
  describe('placeOrder', () => {
    it('places an order for an existing, active customer with its exact total', () => {
      given()
        .when(placeOrder([input('book', 2, '29.99')]))
        .thenEvents([
          {
            type: 'OrderPlaced',
            data: { customerId: CUSTOMER_ID, items: [item('book', 2, '29.99')], totalAmount: '59.98', currency: 'EUR' },
          },
        ]);
    });

    it('rejects an order for a customer that does not exist', () => {
      given()
        .when(placeOrder([input('book', 1, '1.00')], unknownCustomer))
        .thenRefused(notFound(CUSTOMER_ID));
    });

    it('rejects an order for a forgotten customer, active or not', () => {
      const at = new Date('2026-01-02T00:00:00Z');
      for (const customer of [activeCustomer, inactiveCustomer]) {
        given()
          .when(placeOrder([input('book', 1, '1.00')], { ...customer, name: null, email: null, forgottenAt: at }))
          .thenRefused(ruleViolation('CUSTOMER_FORGOTTEN'));
      }
    });

    it('rejects an order for a deactivated customer', () => {
      given()
        .when(placeOrder([input('book', 1, '1.00')], inactiveCustomer))
        .thenRefused(ruleViolation('CUSTOMER_INACTIVE'));
    });

    it('rejects an order with no items', () => {
      given().when(placeOrder([])).thenRefused(invalidInput('items'));
    });

    it('rejects placing an order that has already been placed', () => {
      given(placed)
        .when(placeOrder([input('book', 1, '1.00')]))
        .thenRefused(ruleViolation('ORDER_ALREADY_PLACED'));
    });

    it.each([
      ['zero', 0],
      ['a fraction', 1.5],
      ['negative', -1],
      ['not a number', Number.NaN],
      ['infinite', Number.POSITIVE_INFINITY],
      ['beyond the safe integers', 2 ** 53],
    ])('rejects a quantity that is %s (%p)', (_label, quantity) => {
      given()
        .when(placeOrder([input('book', quantity, '1.00')]))
        .thenRefused(invalidInput('items[0].quantity'));
    });

    it('names the offending item in the field of a bad quantity', () => {
      given()
        .when(placeOrder([input('a', 1, '1.00'), input('b', 1, '1.00'), input('c', 0, '1.00')]))
        .thenRefused(invalidInput('items[2].quantity'));
    });

    it.each([
      ['negative', '-1'],
      ['negative with decimals', '-0.01'],
      ['with three decimals', '1.234'],
      ['with many decimals', '0.001'],
      ['not a number', 'abc'],
      ['empty', ''],
      ['NaN', 'NaN'],
      ['infinite', 'Infinity'],
      ['surrounded by spaces', ' 1.00 '],
      ['a number followed by text', '12abc'],
    ])('rejects a unit price that is %s (%p)', (_label, unitPrice) => {
      given()
        .when(placeOrder([input('book', 1, unitPrice)]))
        .thenRefused(invalidInput('items[0].unitPrice'));
    });

    // A unit price (docs/api.md) is "a non-negative amount with at most 2 decimals", travelling as a Decimal scalar
    // ("a string such as "59.98""). Hexadecimal, binary and octal literals are not decimal amounts.
    it.each([
      ['hexadecimal', '0x10'],
      ['binary', '0b11'],
      ['octal', '0o7'],
      ['exponent', '1e2'],
    ])('rejects a unit price written in %s notation (%p)', (_label, unitPrice) => {
      given()
        .when(placeOrder([input('book', 1, unitPrice)]))
        .thenRefused(invalidInput('items[0].unitPrice'));
    });

    it.each([
      ['0', '0.00'],
      ['0.00', '0.00'],
      ['5', '5.00'],
      ['5.5', '5.50'],
      ['19.99', '19.99'],
      ['1.230', '1.23'],
    ])('accepts the unit price %p and stores it as %p', (raw, stored) => {
      const [event] = given()
        .when(placeOrder([input('book', 1, raw)]))
        .events();
      expect(event).toEqual({
        type: 'OrderPlaced',
        data: { customerId: CUSTOMER_ID, items: [item('book', 1, stored)], totalAmount: stored, currency: 'EUR' },
      });
    });

    it('rejects an item with an empty product id', () => {
      given()
        .when(placeOrder([input('   ', 1, '1.00')]))
        .thenRefused(invalidInput('items[0].productId'));
    });

    it('trims the product id', () => {
      const [event] = given()
        .when(placeOrder([input('  book ', 1, '1.00')]))
        .events();
      expect(event).toMatchObject({ data: { items: [item('book', 1, '1.00')] } });
    });

    it('accepts up to 1000 items and rejects 1001', () => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => input(`p${i}`, 1, '0.01'));
      const [event] = given()
        .when(placeOrder(many(1000)))
        .events();
      expect(event).toMatchObject({ type: 'OrderPlaced', data: { totalAmount: '10.00' } });
      given()
        .when(placeOrder(many(1001)))
        .thenRefused(invalidInput('items'));
    });

    describe('exact totals', () => {
      it.each<[string, OrderItemInput[], string]>([
        ['2 × 29.99 is 59.98', [input('a', 2, '29.99')], '59.98'],
        ['0.10 + 0.20 is 0.30', [input('a', 1, '0.10'), input('b', 1, '0.20')], '0.30'],
        ['0.1 + 0.2 given without padding is 0.30', [input('a', 1, '0.1'), input('b', 1, '0.2')], '0.30'],
        ['3 × 0.10 is 0.30', [input('a', 3, '0.10')], '0.30'],
        ['3 × 1.10 is 3.30', [input('a', 3, '1.10')], '3.30'],
        ['100 × 1.15 is 115.00', [input('a', 100, '1.15')], '115.00'],
        ['7 × 0.07 is 0.49', [input('a', 7, '0.07')], '0.49'],
        [
          'several items: 2 × 29.99 + 3 × 0.10 + 1 × 4.05 is 64.33',
          [input('a', 2, '29.99'), input('b', 3, '0.10'), input('c', 1, '4.05')],
          '64.33',
        ],
        ['free items add nothing: 5 × 0 + 1 × 9.99 is 9.99', [input('a', 5, '0'), input('b', 1, '9.99')], '9.99'],
        ['large amounts stay exact: 1000 × 999999.99 is 999999990.00', [input('a', 1000, '999999.99')], '999999990.00'],
      ])('computes %s', (_label, items, total) => {
        const [event] = given().when(placeOrder(items)).events();
        expect(event).toMatchObject({ type: 'OrderPlaced', data: { totalAmount: total } });
      });
    });
  });

  describe('addItem', () => {
    it('adds an item to a PLACED order', () => {
      given(placed)
        .when(addItem(input('pen', 3, '1.10')))
        .thenEvents([{ type: 'ItemAdded', data: { item: item('pen', 3, '1.10') } }]);
    });

    it('recomputes the exact total when the added item is folded in', () => {
      const state = given(placed)
        .when(addItem(input('pen', 3, '0.10')))
        .stateAfter();
      expect(state).toMatchObject({
        status: 'PLACED',
        items: [item('book', 2, '29.99'), item('pen', 3, '0.10')],
        totalAmount: '60.28',
      });
    });

    it('keeps the total exact over several added items', () => {
      let state = given({
        type: 'OrderPlaced',
        data: { customerId: CUSTOMER_ID, items: [item('a', 1, '0.10')], totalAmount: '0.10', currency: 'EUR' },
      }).state;
      state = givenState(state)
        .when(addItem(input('b', 1, '0.20')))
        .stateAfter();
      expect(state).toMatchObject({ totalAmount: '0.30' });
      state = givenState(state)
        .when(addItem(input('c', 2, '29.99')))
        .stateAfter();
      expect(state).toMatchObject({ totalAmount: '60.28' });
    });

    it.each(['PAID', 'SHIPPED', 'CANCELLED'] as const)('rejects adding an item to a %s order', (status) => {
      given(...statuses[status])
        .when(addItem(input('pen', 1, '1.00')))
        .thenRefused(ruleViolation('ITEMS_ONLY_WHILE_PLACED'));
    });

    it('rejects adding an item to an order that was never placed', () => {
      given()
        .when(addItem(input('pen', 1, '1.00')))
        .thenRefused(ruleViolation('ORDER_NOT_PLACED'));
    });

    it.each<[string, OrderItemInput, string]>([
      ['quantity 0', input('pen', 0, '1.00'), 'item.quantity'],
      ['quantity 1.5', input('pen', 1.5, '1.00'), 'item.quantity'],
      ['quantity -1', input('pen', -1, '1.00'), 'item.quantity'],
      ['price -1', input('pen', 1, '-1'), 'item.unitPrice'],
      ['price 1.234', input('pen', 1, '1.234'), 'item.unitPrice'],
      ['price "abc"', input('pen', 1, 'abc'), 'item.unitPrice'],
      ['an empty product id', input('', 1, '1.00'), 'item.productId'],
    ])('rejects adding an item with %s', (_label, bad, field) => {
      given(placed).when(addItem(bad)).thenRefused(invalidInput(field));
    });

    it('rejects adding an item to an order that already has 1000 items', () => {
      const items = Array.from({ length: 1000 }, (_, i) => item(`p${i}`, 1, '0.01'));
      const full = given({
        type: 'OrderPlaced',
        data: { customerId: CUSTOMER_ID, items, totalAmount: '10.00', currency: 'EUR' },
      });
      full.when(addItem(input('one-more', 1, '0.01'))).thenRefused(ruleViolation('TOO_MANY_ITEMS'));
    });
  });

  describe('amounts in the order’s currency, with its decimals', () => {
    const placeIn = (currency: string, items: OrderItemInput[]): OrderCommand => ({
      type: 'PlaceOrder',
      customerId: CUSTOMER_ID,
      customer: activeCustomer,
      items,
      currency,
    });
    const placedIn = (currency: string, items: OrderItem[], totalAmount: string): OrderEvent => ({
      type: 'OrderPlaced',
      data: { customerId: CUSTOMER_ID, items, totalAmount, currency },
    });

    it('places a JPY order in whole yen and refuses sen: "2999" is taken, "29.99" is not', () => {
      given()
        .when(placeIn('JPY', [input('book', 3, '2999')]))
        .thenEvents([placedIn('JPY', [item('book', 3, '2999')], '8997')]);
      given()
        .when(placeIn('JPY', [input('book', 1, '29.99')]))
        .thenRefused(invalidInput('items[0].unitPrice'));
    });

    it('takes KWD prices with three decimals and totals them exactly; EUR refuses three', () => {
      given()
        .when(placeIn('KWD', [input('dates', 3, '1.234')]))
        .thenEvents([placedIn('KWD', [item('dates', 3, '1.234')], '3.702')]);
      given()
        .when(placeIn('EUR', [input('dates', 1, '1.234')]))
        .thenRefused(invalidInput('items[0].unitPrice'));
    });

    it('judges an added item by the order’s currency', () => {
      const jpy = given(placedIn('JPY', [item('book', 1, '2999')], '2999'));
      jpy.when(addItem(input('pen', 1, '0.5'))).thenRefused(invalidInput('item.unitPrice'));
      expect(jpy.when(addItem(input('pen', 2, '150'))).stateAfter()).toMatchObject({ totalAmount: '3299' });
      const kwd = given(placedIn('KWD', [item('dates', 1, '1.234')], '1.234'));
      expect(kwd.when(addItem(input('tea', 1, '0.001'))).events()).toEqual([
        { type: 'ItemAdded', data: { item: item('tea', 1, '0.001') } },
      ]);
      expect(kwd.when(addItem(input('tea', 1, '0.001'))).stateAfter()).toMatchObject({ totalAmount: '1.235' });
    });

    it('refuses a currency withdrawn from ISO 4217, and one that is no currency', () => {
      given()
        .when(placeIn('HRK', [input('book', 1, '1.00')]))
        .thenRefused(invalidInput('currency'));
      given()
        .when(placeIn('ABC', [input('book', 1, '1.00')]))
        .thenRefused(invalidInput('currency'));
    });

    it('folds an order written with two decimals in any currency, giving its amounts their currency’s decimals', () => {
      const old = given(
        placedIn('JPY', [item('book', 2, '2999.00')], '5998.00'),
        { type: 'ItemAdded', data: { item: item('pen', 1, '100.00') } },
        { type: 'OrderPaid', data: { amount: '6098.00' } },
      );
      expect(old.state).toMatchObject({
        items: [item('book', 2, '2999'), item('pen', 1, '100')],
        totalAmount: '6098',
        status: 'PAID',
      });
    });

    it('pays an old JPY order that the API once took in sen its exact total, never rounded', () => {
      given(placedIn('JPY', [item('book', 3, '29.99')], '89.97'))
        .when(payOrder)
        .thenEvents([{ type: 'OrderPaid', data: { amount: '89.97' } }]);
    });
  });

  describe('payOrder', () => {
    it('pays a PLACED order its total', () => {
      given(placed)
        .when(payOrder)
        .thenEvents([{ type: 'OrderPaid', data: { amount: '59.98' } }]);
    });

    it('pays the current total, including items added after placing', () => {
      const state = given(placed, { type: 'ItemAdded', data: { item: item('pen', 3, '0.10') } });
      state.when(payOrder).thenEvents([{ type: 'OrderPaid', data: { amount: '60.28' } }]);
    });

    it('moves the order to PAID', () => {
      expect(given(placed).when(payOrder).stateAfter()).toMatchObject({ status: 'PAID', totalAmount: '59.98' });
    });

    it('rejects paying an order twice', () => {
      given(placed, paid).when(payOrder).thenRefused(ruleViolation('PAY_ONLY_WHEN_PLACED'));
    });

    it.each(['SHIPPED', 'CANCELLED'] as const)('rejects paying a %s order', (status) => {
      given(...statuses[status])
        .when(payOrder)
        .thenRefused(ruleViolation('PAY_ONLY_WHEN_PLACED'));
    });

    it('rejects paying an order that was never placed', () => {
      given().when(payOrder).thenRefused(ruleViolation('ORDER_NOT_PLACED'));
    });
  });

  describe('shipOrder', () => {
    it('ships a PAID order', () => {
      given(placed, paid)
        .when(shipOrder)
        .thenEvents([{ type: 'OrderShipped', data: {} }]);
      expect(given(placed, paid).when(shipOrder).stateAfter()).toMatchObject({ status: 'SHIPPED' });
    });

    it('rejects shipping an unpaid order', () => {
      given(placed).when(shipOrder).thenRefused(ruleViolation('SHIP_ONLY_WHEN_PAID'));
    });

    it('rejects shipping an order twice', () => {
      given(placed, paid, shipped).when(shipOrder).thenRefused(ruleViolation('SHIP_ONLY_WHEN_PAID'));
    });

    it('rejects shipping a cancelled order, even one cancelled after payment', () => {
      given(placed, cancelled).when(shipOrder).thenRefused(ruleViolation('SHIP_ONLY_WHEN_PAID'));
      given(placed, paid, cancelled).when(shipOrder).thenRefused(ruleViolation('SHIP_ONLY_WHEN_PAID'));
    });

    it('rejects shipping an order that was never placed', () => {
      given().when(shipOrder).thenRefused(ruleViolation('ORDER_NOT_PLACED'));
    });
  });

  describe('cancelOrder', () => {
    it.each(['PLACED', 'PAID'] as const)('cancels a %s order', (status) => {
      given(...statuses[status])
        .when(cancelOrder('changed my mind'))
        .thenEvents([{ type: 'OrderCancelled', data: { reason: 'changed my mind' } }]);
      expect(
        given(...statuses[status])
          .when(cancelOrder('changed my mind'))
          .stateAfter(),
      ).toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'changed my mind',
      });
    });

    it('rejects cancelling a SHIPPED order', () => {
      given(placed, paid, shipped).when(cancelOrder()).thenRefused(ruleViolation('CANCEL_ONLY_BEFORE_SHIPPING'));
    });

    it('rejects cancelling an order twice', () => {
      given(placed, cancelled).when(cancelOrder()).thenRefused(ruleViolation('CANCEL_ONLY_BEFORE_SHIPPING'));
    });

    it('rejects cancelling an order that was never placed', () => {
      given().when(cancelOrder()).thenRefused(ruleViolation('ORDER_NOT_PLACED'));
    });

    it('trims the reason', () => {
      given(placed)
        .when(cancelOrder('  out of stock \n'))
        .thenEvents([{ type: 'OrderCancelled', data: { reason: 'out of stock' } }]);
    });

    it('omits the reason when none is given', () => {
      const events = given(placed).when(cancelOrder()).events();
      expect(events).toEqual([{ type: 'OrderCancelled', data: {} }]);
      expect(events[0]!.data).not.toHaveProperty('reason');
    });

    it('omits a reason that is empty or only whitespace', () => {
      for (const reason of ['', '   ', '\t\n']) {
        const events = given(placed).when(cancelOrder(reason)).events();
        expect(events).toEqual([{ type: 'OrderCancelled', data: {} }]);
        expect(events[0]!.data).not.toHaveProperty('reason');
      }
    });
  });

  describe('the payment window', () => {
    const placeWithin = (paymentWindowMs: number): OrderCommand => ({
      ...(placeOrder([input('book', 2, '29.99')]) as Extract<OrderCommand, { type: 'PlaceOrder' }>),
      paymentWindowMs,
    });
    const withWindow: OrderEvent = {
      type: 'OrderPlaced',
      data: { ...(placed as Extract<OrderEvent, { type: 'OrderPlaced' }>).data, paymentWindowMs: 60_000 },
    };

    it('records the window in OrderPlaced; the order is due to be paid that long after it was placed', () => {
      given().when(placeWithin(60_000)).thenEvents([withWindow]);
      const state = given().when(placeWithin(60_000)).stateAfter();
      expect(state!.paymentDueAt).toEqual(new Date(state!.createdAt.getTime() + 60_000));
    });

    it('has no due time without a window', () => {
      expect(
        given()
          .when(placeOrder([input('book', 1, '1.00')]))
          .stateAfter()!.paymentDueAt,
      ).toBeNull();
    });

    it.each([
      ['paid', paid],
      ['cancelled', cancelled],
    ])('has no due time once %s', (_name, event) => {
      expect(given(withWindow).state!.paymentDueAt).not.toBeNull();
      expect(given(withWindow, event).state!.paymentDueAt).toBeNull();
    });

    it('expires a PLACED order: cancelled for PAYMENT_WINDOW_EXPIRED', () => {
      given(withWindow)
        .when({ type: 'ExpirePayment' })
        .thenEvents([{ type: 'OrderCancelled', data: { reason: 'PAYMENT_WINDOW_EXPIRED' } }]);
    });

    it.each(['PAID', 'SHIPPED', 'CANCELLED'] as const)(
      'refuses to expire a %s order: the deadline is moot',
      (status) => {
        given(...statuses[status])
          .when({ type: 'ExpirePayment' })
          .thenRefused(ruleViolation('PAY_ONLY_WHEN_PLACED'));
      },
    );
  });

  describe('the status machine as a whole', () => {
    it('walks PLACED → PAID → SHIPPED with the paid amount equal to the final total', () => {
      let state = given()
        .when(placeOrder([input('book', 2, '29.99')]))
        .stateAfter();
      expect(state).toMatchObject({ status: 'PLACED', totalAmount: '59.98' });
      state = givenState(state)
        .when(addItem(input('pen', 1, '0.02')))
        .stateAfter();
      const [paidEvent] = decideOrder(payOrder, state);
      expect(paidEvent).toEqual({ type: 'OrderPaid', data: { amount: '60.00' } });
      state = givenState(state).when(payOrder).stateAfter();
      expect(state).toMatchObject({ status: 'PAID' });
      state = givenState(state).when(shipOrder).stateAfter();
      expect(state).toMatchObject({ status: 'SHIPPED', totalAmount: '60.00' });
    });
  });

  describe('purity', () => {
    it.each<[string, OrderEvent[], OrderCommand]>([
      ['placing an order', [], placeOrder([input(' book ', 2, '29.99'), input('pen', 1, '0.1')])],
      ['placing an order for a deactivated customer', [], placeOrder([input('book', 1, '1.00')], inactiveCustomer)],
      ['placing an order with a bad price', [], placeOrder([input('book', 1, '1.234')])],
      ['adding an item', [placed], addItem(input('pen', 3, '1.10'))],
      ['adding an item to a paid order', [placed, paid], addItem(input('pen', 1, '1.00'))],
      ['paying', [placed, { type: 'ItemAdded', data: { item: item('pen', 1, '1.00') } }], payOrder],
      ['paying twice', [placed, paid], payOrder],
      ['shipping', [placed, paid], shipOrder],
      ['shipping unpaid', [placed], shipOrder],
      ['cancelling', [placed, paid], cancelOrder('  why not ')],
      ['cancelling a shipped order', [placed, paid, shipped], cancelOrder()],
    ])('does not mutate the given state or the command when %s', (_label, events, command) => {
      given(...events)
        .when(command)
        .thenInputsUnchanged();
    });

    it('evolving an added item leaves the previous state and its items untouched', () => {
      const before = deepFreeze(given(placed).state);
      const snapshot = structuredClone(before);
      const added = recorded<OrderEvent>({ type: 'ItemAdded', data: { item: item('pen', 1, '1.00') } }, 2);
      const afterAdd = evolveOrder(before, added);
      expect(before).toEqual(snapshot);
      expect(afterAdd).not.toBe(before);
      expect(afterAdd).toMatchObject({ totalAmount: '60.98' });
    });

    it('does not share the emitted items with the command input', () => {
      const command = placeOrder([input('book', 1, '1.00')]);
      const [event] = decideOrder(command, given().state);
      if (event?.type !== 'OrderPlaced') throw new Error('expected OrderPlaced');
      expect(event.data.items[0]).not.toBe((command as { items: OrderItemInput[] }).items[0]);
    });
  });
});
