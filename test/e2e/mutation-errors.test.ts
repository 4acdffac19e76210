import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';

// Every refused command answers with the documented extensions.code and appends nothing (docs/api.md,
// "Errors": a rule's violation is an error and appends nothing). "Nothing" is checked against the global log itself.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const RESULT_FIELDS = `aggregateId version position events { eventId eventType version position payload }`;
const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { ${RESULT_FIELDS} customer { id active version } } }`;
const DEACTIVATE = `mutation ($input: DeactivateCustomerInput!) { deactivateCustomer(input: $input) { ${RESULT_FIELDS} customer { id active version } } }`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { ${RESULT_FIELDS} order { id status totalAmount version } } }`;
const ADD_ITEM = `mutation ($input: AddItemInput!) { addItem(input: $input) { ${RESULT_FIELDS} order { id status totalAmount version } } }`;
const PAY = `mutation ($input: PayOrderInput!) { payOrder(input: $input) { ${RESULT_FIELDS} order { id status totalAmount version } } }`;
const SHIP = `mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { ${RESULT_FIELDS} order { id status version } } }`;
const CANCEL = `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { ${RESULT_FIELDS} order { id status version } } }`;
const HISTORY = `query ($orderId: ID!) { orderHistory(orderId: $orderId) { eventId eventType version position } }`;
const LOG_PAGE = `query ($after: String) {
  events(first: 1000, after: $after) { nodes { eventId position } pageInfo { hasNextPage endCursor } }
}`;

type LogSnapshot = { count: number; lastPosition: string | null; eventIds: string[] };

/** The whole global log as the events query serves it, every page. */
async function logSnapshot(): Promise<LogSnapshot> {
  const eventIds: string[] = [];
  let lastPosition: string | null = null;
  let after: string | null = null;
  for (;;) {
    const res: GraphQLResponse = await server.gql(LOG_PAGE, { after });
    expect(res.errors).toBeUndefined();
    const page = res.data!.events;
    for (const node of page.nodes) {
      eventIds.push(node.eventId);
      lastPosition = node.position;
    }
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return { count: eventIds.length, lastPosition, eventIds };
}

function expectNoInternals(res: GraphQLResponse): void {
  for (const error of res.errors ?? []) {
    expect(error.extensions?.stacktrace).toBeUndefined();
    expect(error.extensions?.exception).toBeUndefined();
    expect(error.message).not.toMatch(/\bat \/|\n\s+at |node_modules|\.ts:\d+/);
    expect(JSON.stringify(error.extensions ?? {})).not.toMatch(/\bat \/|\n\s+at |node_modules/);
  }
}

/**
 * Sends one operation that must be refused with `code`, and proves the global log did not change: same number of
 * events, same last position, same event ids. Returns the (single) error for further assertions.
 */
async function expectRefused(
  code: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<NonNullable<GraphQLResponse['errors']>[number]> {
  const before = await logSnapshot();
  const res = await server.gql(query, variables);
  expect(res.errors).toBeDefined();
  expectNoInternals(res);
  expect(res.errors!.map((e) => e.extensions?.code)).toEqual([code]);
  // A refused mutation has no result: data is null or absent altogether (a non-null field), or the field is null.
  expect(Object.values(res.data ?? {}).filter((result) => result !== null)).toEqual([]);
  const after = await logSnapshot();
  expect(after).toEqual(before);
  return res.errors![0]!;
}

const ok = (query: string, variables?: Record<string, unknown>) => server.ok(query, variables);

async function history(orderId: string): Promise<{ eventType: string; version: number }[]> {
  const res = await server.gql(HISTORY, { orderId });
  expect(res.errors).toBeUndefined();
  return res.data!.orderHistory;
}

let counter = 0;
async function registerCustomer(): Promise<string> {
  counter += 1;
  const data = await ok(REGISTER, { input: { name: `Customer ${counter}`, email: `customer${counter}@example.com` } });
  return data.registerCustomer.aggregateId;
}

const book = { productId: 'book', quantity: 2, unitPrice: '29.99' };

async function placeOrder(customerId: string): Promise<string> {
  const data = await ok(PLACE, { input: { customerId, items: [book] } });
  return data.placeOrder.aggregateId;
}

let activeCustomer: string;
beforeAll(async () => {
  activeCustomer = await registerCustomer();
});

describe('placeOrder', () => {
  it('refuses an unknown customer with NOT_FOUND and appends nothing', async () => {
    await expectRefused('NOT_FOUND', PLACE, {
      input: { customerId: '00000000-0000-4000-8000-000000000000', items: [book] },
    });
  });

  it('refuses an order id given as the customer id with NOT_FOUND (an order is not a customer)', async () => {
    const orderId = await placeOrder(activeCustomer);
    await expectRefused('NOT_FOUND', PLACE, { input: { customerId: orderId, items: [book] } });
  });

  it('refuses a deactivated customer with BUSINESS_RULE_VIOLATION, rule CUSTOMER_INACTIVE, and appends nothing', async () => {
    const customerId = await registerCustomer();
    await ok(DEACTIVATE, { input: { customerId, reason: 'moved away' } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', PLACE, { input: { customerId, items: [book] } });
    expect(error.extensions?.rule).toBe('CUSTOMER_INACTIVE');
  });

  it('refuses an order without items with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, { input: { customerId: activeCustomer, items: [] } });
  });

  it('refuses quantity 0 with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, quantity: 0 }] },
    });
  });

  it('refuses a negative quantity with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, quantity: -3 }] },
    });
  });

  it('refuses quantity 1.5 passed in a variable with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, quantity: 1.5 }] },
    });
  });

  it('refuses quantity 1.5 written as a literal in the document with BAD_USER_INPUT', async () => {
    await expectRefused(
      'BAD_USER_INPUT',
      `mutation { placeOrder(input: { customerId: "${activeCustomer}", items: [{ productId: "book", quantity: 1.5, unitPrice: "29.99" }] }) { aggregateId } }`,
    );
  });

  it('refuses quantity 0 written as a literal in the document with BAD_USER_INPUT', async () => {
    await expectRefused(
      'BAD_USER_INPUT',
      `mutation { placeOrder(input: { customerId: "${activeCustomer}", items: [{ productId: "book", quantity: 0, unitPrice: "29.99" }] }) { aggregateId } }`,
    );
  });

  it('refuses price "-1" (string) with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, unitPrice: '-1' }] },
    });
  });

  it('refuses price -1 (JSON number) with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, unitPrice: -1 }] },
    });
  });

  it('refuses price "1.234" (string) with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, unitPrice: '1.234' }] },
    });
  });

  it('refuses price 1.234 (JSON number variable) with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, unitPrice: 1.234 }] },
    });
  });

  it('refuses price 1.234 written as a literal in the document with BAD_USER_INPUT', async () => {
    await expectRefused(
      'BAD_USER_INPUT',
      `mutation { placeOrder(input: { customerId: "${activeCustomer}", items: [{ productId: "book", quantity: 1, unitPrice: 1.234 }] }) { aggregateId } }`,
    );
  });

  it('refuses a price that is not a number at all with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [{ ...book, unitPrice: 'twelve' }] },
    });
  });

  it('refuses the whole order when only one of its items is invalid', async () => {
    await expectRefused('BAD_USER_INPUT', PLACE, {
      input: { customerId: activeCustomer, items: [book, { ...book, productId: 'pen', unitPrice: '0.005' }] },
    });
  });
});

describe('addItem', () => {
  it('refuses a wrong expectedVersion with CONCURRENCY_CONFLICT carrying actualVersion, and appends nothing', async () => {
    const orderId = await placeOrder(activeCustomer);
    const error = await expectRefused('CONCURRENCY_CONFLICT', ADD_ITEM, {
      input: { orderId, expectedVersion: 3, item: { productId: 'pen', quantity: 1, unitPrice: '1.50' } },
    });
    expect(error.extensions?.actualVersion).toBe(1);
    expect((await history(orderId)).map((e) => e.version)).toEqual([1]);
  });

  it('refuses an item for a PAID order with BUSINESS_RULE_VIOLATION, rule ITEMS_ONLY_WHILE_PLACED', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(PAY, { input: { orderId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', ADD_ITEM, {
      input: { orderId, item: { productId: 'pen', quantity: 1, unitPrice: '1.50' } },
    });
    expect(error.extensions?.rule).toBe('ITEMS_ONLY_WHILE_PLACED');
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderPaid']);
  });

  it('refuses an item with quantity 0 or price 1.234 with BAD_USER_INPUT', async () => {
    const orderId = await placeOrder(activeCustomer);
    await expectRefused('BAD_USER_INPUT', ADD_ITEM, {
      input: { orderId, item: { productId: 'pen', quantity: 0, unitPrice: '1.50' } },
    });
    await expectRefused('BAD_USER_INPUT', ADD_ITEM, {
      input: { orderId, item: { productId: 'pen', quantity: 1, unitPrice: 1.234 } },
    });
    expect((await history(orderId)).map((e) => e.version)).toEqual([1]);
  });

  it('refuses an unknown order with NOT_FOUND', async () => {
    await expectRefused('NOT_FOUND', ADD_ITEM, {
      input: { orderId: 'no-such-order', item: { productId: 'pen', quantity: 1, unitPrice: '1.50' } },
    });
  });
});

describe('payOrder', () => {
  it('refuses an unknown order id with NOT_FOUND', async () => {
    await expectRefused('NOT_FOUND', PAY, { input: { orderId: '00000000-0000-4000-8000-000000000001' } });
  });

  it('refuses a customer id given as the order id with NOT_FOUND (a customer is not an order)', async () => {
    await expectRefused('NOT_FOUND', PAY, { input: { orderId: activeCustomer } });
  });

  it('refuses a wrong expectedVersion with CONCURRENCY_CONFLICT carrying actualVersion', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(ADD_ITEM, { input: { orderId, item: { productId: 'pen', quantity: 1, unitPrice: '1.50' } } });
    const error = await expectRefused('CONCURRENCY_CONFLICT', PAY, { input: { orderId, expectedVersion: 1 } });
    expect(error.extensions?.actualVersion).toBe(2);
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'ItemAdded']);
  });

  it('refuses paying twice with BUSINESS_RULE_VIOLATION, rule PAY_ONLY_WHEN_PLACED', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(PAY, { input: { orderId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', PAY, { input: { orderId } });
    expect(error.extensions?.rule).toBe('PAY_ONLY_WHEN_PLACED');
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderPaid']);
  });

  it('refuses paying a cancelled order with BUSINESS_RULE_VIOLATION', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(CANCEL, { input: { orderId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', PAY, { input: { orderId } });
    expect(error.extensions?.rule).toBe('PAY_ONLY_WHEN_PLACED');
  });
});

describe('shipOrder', () => {
  it('refuses shipping an unpaid order with BUSINESS_RULE_VIOLATION, rule SHIP_ONLY_WHEN_PAID', async () => {
    const orderId = await placeOrder(activeCustomer);
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', SHIP, { input: { orderId } });
    expect(error.extensions?.rule).toBe('SHIP_ONLY_WHEN_PAID');
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced']);
  });

  it('refuses shipping twice with BUSINESS_RULE_VIOLATION, rule SHIP_ONLY_WHEN_PAID', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(PAY, { input: { orderId } });
    await ok(SHIP, { input: { orderId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', SHIP, { input: { orderId } });
    expect(error.extensions?.rule).toBe('SHIP_ONLY_WHEN_PAID');
  });

  it('refuses a wrong expectedVersion with CONCURRENCY_CONFLICT carrying actualVersion', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(PAY, { input: { orderId } });
    const error = await expectRefused('CONCURRENCY_CONFLICT', SHIP, { input: { orderId, expectedVersion: 1 } });
    expect(error.extensions?.actualVersion).toBe(2);
  });

  it('refuses an unknown order with NOT_FOUND', async () => {
    await expectRefused('NOT_FOUND', SHIP, { input: { orderId: 'no-such-order' } });
  });
});

describe('cancelOrder', () => {
  it('refuses cancelling a SHIPPED order with BUSINESS_RULE_VIOLATION, rule CANCEL_ONLY_BEFORE_SHIPPING', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(PAY, { input: { orderId } });
    await ok(SHIP, { input: { orderId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', CANCEL, { input: { orderId, reason: 'too late' } });
    expect(error.extensions?.rule).toBe('CANCEL_ONLY_BEFORE_SHIPPING');
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderPaid', 'OrderShipped']);
  });

  it('refuses cancelling twice with BUSINESS_RULE_VIOLATION, rule CANCEL_ONLY_BEFORE_SHIPPING', async () => {
    const orderId = await placeOrder(activeCustomer);
    await ok(CANCEL, { input: { orderId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', CANCEL, { input: { orderId } });
    expect(error.extensions?.rule).toBe('CANCEL_ONLY_BEFORE_SHIPPING');
  });

  it('refuses a wrong expectedVersion with CONCURRENCY_CONFLICT carrying actualVersion', async () => {
    const orderId = await placeOrder(activeCustomer);
    const error = await expectRefused('CONCURRENCY_CONFLICT', CANCEL, { input: { orderId, expectedVersion: 0 } });
    expect(error.extensions?.actualVersion).toBe(1);
  });

  it('refuses an unknown order with NOT_FOUND', async () => {
    await expectRefused('NOT_FOUND', CANCEL, { input: { orderId: 'no-such-order' } });
  });
});

describe('registerCustomer', () => {
  it.each(['not-an-email', 'ada@', '@example.com', 'ada lovelace@example.com', 'ada@example', ''])(
    'refuses the malformed email %j with BAD_USER_INPUT',
    async (email) => {
      await expectRefused('BAD_USER_INPUT', REGISTER, { input: { name: 'Ada', email } });
    },
  );

  it('refuses a missing email (a required input field) with BAD_USER_INPUT', async () => {
    await expectRefused('BAD_USER_INPUT', REGISTER, { input: { name: 'Ada' } });
  });
});

describe('deactivateCustomer', () => {
  it('refuses a wrong expectedVersion with CONCURRENCY_CONFLICT carrying actualVersion, and appends nothing', async () => {
    const customerId = await registerCustomer();
    const error = await expectRefused('CONCURRENCY_CONFLICT', DEACTIVATE, {
      input: { customerId, expectedVersion: 2 },
    });
    expect(error.extensions?.actualVersion).toBe(1);
    // Still active: the refused command changed nothing, and a later one at the right version goes through.
    const data = await ok(DEACTIVATE, { input: { customerId, expectedVersion: 1 } });
    expect(data.deactivateCustomer).toMatchObject({ version: 2, customer: { active: false } });
  });

  it('refuses deactivating twice with BUSINESS_RULE_VIOLATION, rule CUSTOMER_ALREADY_DEACTIVATED', async () => {
    const customerId = await registerCustomer();
    await ok(DEACTIVATE, { input: { customerId } });
    const error = await expectRefused('BUSINESS_RULE_VIOLATION', DEACTIVATE, {
      input: { customerId, reason: 'again' },
    });
    expect(error.extensions?.rule).toBe('CUSTOMER_ALREADY_DEACTIVATED');
  });

  it('refuses an unknown customer with NOT_FOUND', async () => {
    await expectRefused('NOT_FOUND', DEACTIVATE, { input: { customerId: 'no-such-customer' } });
  });

  it('refuses an order id given as the customer id with NOT_FOUND', async () => {
    const orderId = await placeOrder(activeCustomer);
    await expectRefused('NOT_FOUND', DEACTIVATE, { input: { customerId: orderId } });
  });
});

describe('events query', () => {
  it.each(['not-a-cursor', 'cDphYmM', '-5', '12.5', 'p:12'])(
    'refuses the malformed after cursor %j with BAD_USER_INPUT',
    async (after) => {
      const res = await server.gql(`query ($after: String) { events(first: 5, after: $after) { nodes { eventId } } }`, {
        after,
      });
      expectNoInternals(res);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    },
  );

  it('refuses a page size over the limit with BAD_USER_INPUT', async () => {
    const res = await server.gql(`{ events(first: 1001) { nodes { eventId } } }`);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('after all those refusals', () => {
  // Self-contained: it makes its own aggregates in every state and sends its own refusal of every kind the tests
  // above send (each code, each command, variables and literals, the events query), rather than reading what
  // earlier tests left behind, so it proves the same however the tests are filtered or ordered.
  it('never returned a stack trace or internal detail in any error response', async () => {
    const customer = await registerCustomer();
    const deactivated = await registerCustomer();
    await ok(DEACTIVATE, { input: { customerId: deactivated } });
    const placed = await placeOrder(customer);
    const paid = await placeOrder(customer);
    await ok(PAY, { input: { orderId: paid } });
    const shipped = await placeOrder(customer);
    await ok(PAY, { input: { orderId: shipped } });
    await ok(SHIP, { input: { orderId: shipped } });
    const cancelled = await placeOrder(customer);
    await ok(CANCEL, { input: { orderId: cancelled } });
    const pen = { productId: 'pen', quantity: 1, unitPrice: '1.50' };
    const placeWith = (items: unknown[]) => ({ input: { customerId: customer, items } });
    const literalPlace = (quantity: string, unitPrice: string) =>
      `mutation { placeOrder(input: { customerId: "${customer}", items: [{ productId: "book", quantity: ${quantity}, unitPrice: ${unitPrice} }] }) { aggregateId } }`;
    const eventsAfter = `query ($after: String) { events(first: 5, after: $after) { nodes { eventId } } }`;

    type Refusal = [code: string, query: string, variables?: Record<string, unknown>];
    const refusals: Refusal[] = [
      ['NOT_FOUND', PLACE, { input: { customerId: '00000000-0000-4000-8000-000000000000', items: [book] } }],
      ['NOT_FOUND', PLACE, { input: { customerId: placed, items: [book] } }],
      ['NOT_FOUND', ADD_ITEM, { input: { orderId: 'no-such-order', item: pen } }],
      ['NOT_FOUND', PAY, { input: { orderId: '00000000-0000-4000-8000-000000000001' } }],
      ['NOT_FOUND', PAY, { input: { orderId: customer } }],
      ['NOT_FOUND', SHIP, { input: { orderId: 'no-such-order' } }],
      ['NOT_FOUND', CANCEL, { input: { orderId: 'no-such-order' } }],
      ['NOT_FOUND', DEACTIVATE, { input: { customerId: 'no-such-customer' } }],
      ['NOT_FOUND', DEACTIVATE, { input: { customerId: placed } }],
      ['BUSINESS_RULE_VIOLATION', PLACE, { input: { customerId: deactivated, items: [book] } }],
      ['BUSINESS_RULE_VIOLATION', ADD_ITEM, { input: { orderId: paid, item: pen } }],
      ['BUSINESS_RULE_VIOLATION', PAY, { input: { orderId: paid } }],
      ['BUSINESS_RULE_VIOLATION', PAY, { input: { orderId: cancelled } }],
      ['BUSINESS_RULE_VIOLATION', SHIP, { input: { orderId: placed } }],
      ['BUSINESS_RULE_VIOLATION', SHIP, { input: { orderId: shipped } }],
      ['BUSINESS_RULE_VIOLATION', CANCEL, { input: { orderId: shipped, reason: 'too late' } }],
      ['BUSINESS_RULE_VIOLATION', CANCEL, { input: { orderId: cancelled } }],
      ['BUSINESS_RULE_VIOLATION', DEACTIVATE, { input: { customerId: deactivated, reason: 'again' } }],
      ['CONCURRENCY_CONFLICT', ADD_ITEM, { input: { orderId: placed, expectedVersion: 3, item: pen } }],
      ['CONCURRENCY_CONFLICT', PAY, { input: { orderId: placed, expectedVersion: 5 } }],
      ['CONCURRENCY_CONFLICT', SHIP, { input: { orderId: paid, expectedVersion: 1 } }],
      ['CONCURRENCY_CONFLICT', CANCEL, { input: { orderId: placed, expectedVersion: 0 } }],
      ['CONCURRENCY_CONFLICT', DEACTIVATE, { input: { customerId: customer, expectedVersion: 2 } }],
      ['BAD_USER_INPUT', PLACE, placeWith([])],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, quantity: 0 }])],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, quantity: -3 }])],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, quantity: 1.5 }])],
      ['BAD_USER_INPUT', literalPlace('1.5', '"29.99"')],
      ['BAD_USER_INPUT', literalPlace('0', '"29.99"')],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, unitPrice: '-1' }])],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, unitPrice: -1 }])],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, unitPrice: '1.234' }])],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, unitPrice: 1.234 }])],
      ['BAD_USER_INPUT', literalPlace('1', '1.234')],
      ['BAD_USER_INPUT', PLACE, placeWith([{ ...book, unitPrice: 'twelve' }])],
      ['BAD_USER_INPUT', PLACE, placeWith([book, { ...book, productId: 'pen', unitPrice: '0.005' }])],
      ['BAD_USER_INPUT', ADD_ITEM, { input: { orderId: placed, item: { ...pen, quantity: 0 } } }],
      ['BAD_USER_INPUT', ADD_ITEM, { input: { orderId: placed, item: { ...pen, unitPrice: 1.234 } } }],
      ...['not-an-email', 'ada@', '@example.com', 'ada lovelace@example.com', 'ada@example', ''].map(
        (email): Refusal => ['BAD_USER_INPUT', REGISTER, { input: { name: 'Ada', email } }],
      ),
      ['BAD_USER_INPUT', REGISTER, { input: { name: 'Ada' } }],
      ...['not-a-cursor', 'cDphYmM', '-5', '12.5', 'p:12'].map((after): Refusal => [
        'BAD_USER_INPUT',
        eventsAfter,
        { after },
      ]),
      ['BAD_USER_INPUT', `{ events(first: 1001) { nodes { eventId } } }`],
    ];
    expect(refusals.length).toBeGreaterThan(40);
    for (const [code, query, variables] of refusals) {
      const res = await server.gql(query, variables);
      // (The operation in the expectation, so a failure names the case.)
      expect({ query, variables, codes: res.errors?.map((e) => e.extensions?.code) }).toEqual({
        query,
        variables,
        codes: [code],
      });
      expectNoInternals(res);
      for (const error of res.errors ?? []) {
        expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
        expect(error.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('keeps serving: a new customer can still register, order, pay and ship', async () => {
    const before = await logSnapshot();
    const customerId = await registerCustomer();
    const placed = await ok(PLACE, { input: { customerId, items: [book] } });
    expect(placed.placeOrder.order).toMatchObject({ status: 'PLACED', totalAmount: '59.98', version: 1 });
    const orderId = placed.placeOrder.aggregateId;
    const paid = await ok(PAY, { input: { orderId, expectedVersion: 1 } });
    expect(paid.payOrder.events[0].payload).toEqual({ amount: '59.98' });
    const shipped = await ok(SHIP, { input: { orderId, expectedVersion: 2 } });
    expect(shipped.shipOrder.order).toMatchObject({ status: 'SHIPPED', version: 3 });
    const after = await logSnapshot();
    expect(after.count).toBe(before.count + 4);
    expect(BigInt(after.lastPosition!)).toBeGreaterThan(BigInt(before.lastPosition!));
    expect((await fetch(`${server.app.url}/readyz`)).status).toBe(200);
  });
});
