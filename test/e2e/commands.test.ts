import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../support/server';

// The command side's happy paths and its protocol: exact money, idempotency keys, retries under contention,
// metadata, the audit trail, time travel and the paginated global log (docs/api.md).

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const EVENT = `eventId eventType aggregateId aggregateType version position timestamp payload cursor
  metadata { correlationId causationId userId }`;
const ORDER = `id customerId status totalAmount itemCount version cancellationReason
  items { productId quantity unitPrice lineTotal } createdAt updatedAt paidAt shippedAt cancelledAt`;
const ORDER_RESULT = `aggregateId version position events { ${EVENT} } order { ${ORDER} }`;
const CUSTOMER_RESULT = `aggregateId version position events { ${EVENT} }
  customer { id name email active deactivationReason version }`;

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { ${CUSTOMER_RESULT} } }`;
const DEACTIVATE = `mutation ($input: DeactivateCustomerInput!) { deactivateCustomer(input: $input) { ${CUSTOMER_RESULT} } }`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_RESULT} } }`;
const ADD_ITEM = `mutation ($input: AddItemInput!) { addItem(input: $input) { ${ORDER_RESULT} } }`;
const PAY = `mutation ($input: PayOrderInput!) { payOrder(input: $input) { ${ORDER_RESULT} } }`;
const SHIP = `mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { ${ORDER_RESULT} } }`;
const CANCEL = `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { ${ORDER_RESULT} } }`;
const HISTORY = `query ($orderId: ID!) { orderHistory(orderId: $orderId) { ${EVENT} } }`;
const ORDER_AT = `query ($orderId: ID!, $version: Int, $at: DateTime) { orderAt(orderId: $orderId, version: $version, at: $at) { ${ORDER} } }`;
const EVENTS = `query ($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { eventId position } }
    nodes { ${EVENT} }
    pageInfo { hasNextPage endCursor }
  }
}`;

type Event = {
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateType: string;
  version: number;
  position: string;
  timestamp: string;
  payload: any;
  cursor: string;
  metadata: { correlationId: string; causationId: string; userId: string | null };
};

const ok = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  server.ok(query, variables, headers);

type Page = {
  edges: { cursor: string; node: { eventId: string; position: string } }[];
  nodes: Event[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

async function eventsPage(variables: {
  filter?: Record<string, unknown>;
  first?: number;
  after?: string | null;
}): Promise<Page> {
  return (await ok(EVENTS, variables)).events;
}

/** The whole global log (or a filtered part of it), one page of up to 1000 at a time. */
async function wholeLog(filter?: Record<string, unknown>): Promise<Event[]> {
  const all: Event[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await eventsPage({ filter, first: 1000, after });
    all.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return all;
    after = page.pageInfo.endCursor;
  }
}

async function history(orderId: string): Promise<Event[]> {
  return (await ok(HISTORY, { orderId })).orderHistory;
}

const increasing = (positions: string[]) => positions.every((p, i) => i === 0 || BigInt(p) > BigInt(positions[i - 1]!));

let counter = 0;
async function registerCustomer(input: Record<string, unknown> = {}): Promise<string> {
  counter += 1;
  const data = await ok(REGISTER, {
    input: { name: `Customer ${counter}`, email: `c${counter}@example.com`, ...input },
  });
  return data.registerCustomer.aggregateId;
}

const book = { productId: 'book', quantity: 2, unitPrice: '29.99' };
const pen = { productId: 'pen', quantity: 1, unitPrice: '1.50' };

async function placeOrder(customerId: string, items: unknown[] = [book]): Promise<string> {
  return (await ok(PLACE, { input: { customerId, items } })).placeOrder.aggregateId;
}

/**
 * Resolves once the clock has passed `timestamp` by `gapMs`, so that the next event's timestamp lies at least that
 * far after it (the server stamps events on this machine's clock).
 */
async function clockPast(timestamp: string, gapMs: number): Promise<void> {
  const due = Date.parse(timestamp) + gapMs;
  while (Date.now() <= due) await new Promise((resolve) => setTimeout(resolve, due + 1 - Date.now()));
}

describe('the order lifecycle', () => {
  it('registers, places, adds an item, pays and ships with exact money at every step', async () => {
    const registered = (await ok(REGISTER, { input: { name: 'Ada Lovelace', email: 'ada@example.com' } }))
      .registerCustomer;
    expect(registered).toMatchObject({
      version: 1,
      customer: {
        id: registered.aggregateId,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        active: true,
        version: 1,
      },
    });
    expect(registered.events).toHaveLength(1);
    expect(registered.events[0]).toMatchObject({
      eventType: 'CustomerRegistered',
      aggregateType: 'Customer',
      aggregateId: registered.aggregateId,
      version: 1,
      position: registered.position,
      payload: { name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    const customerId = registered.aggregateId;

    const placed = (
      await ok(PLACE, { input: { customerId, items: [{ productId: 'book', quantity: 2, unitPrice: 29.99 }] } })
    ).placeOrder;
    const orderId = placed.aggregateId;
    expect(placed.version).toBe(1);
    expect(placed.events.map((e: Event) => e.eventType)).toEqual(['OrderPlaced']);
    expect(placed.events[0].payload).toEqual({
      customerId,
      items: [{ productId: 'book', quantity: 2, unitPrice: '29.99' }],
      totalAmount: '59.98',
      currency: 'EUR',
    });
    expect(placed.order).toMatchObject({
      id: orderId,
      customerId,
      status: 'PLACED',
      totalAmount: '59.98',
      itemCount: 2,
      version: 1,
      items: [{ productId: 'book', quantity: 2, unitPrice: '29.99', lineTotal: '59.98' }],
      paidAt: null,
      shippedAt: null,
      cancelledAt: null,
    });

    const added = (
      await ok(ADD_ITEM, {
        input: { orderId, expectedVersion: 1, item: { productId: 'clip', quantity: 3, unitPrice: '0.10' } },
      })
    ).addItem;
    expect(added).toMatchObject({ aggregateId: orderId, version: 2 });
    expect(added.events).toHaveLength(1);
    expect(added.events[0]).toMatchObject({
      eventType: 'ItemAdded',
      version: 2,
      position: added.position,
      payload: { item: { productId: 'clip', quantity: 3, unitPrice: '0.10' } },
    });
    expect(BigInt(added.position)).toBeGreaterThan(BigInt(placed.position));
    expect(added.order).toMatchObject({
      status: 'PLACED',
      totalAmount: '60.28',
      itemCount: 5,
      version: 2,
      items: [
        { productId: 'book', quantity: 2, unitPrice: '29.99', lineTotal: '59.98' },
        { productId: 'clip', quantity: 3, unitPrice: '0.10', lineTotal: '0.30' },
      ],
    });

    const paid = (await ok(PAY, { input: { orderId, expectedVersion: 2 } })).payOrder;
    expect(paid).toMatchObject({ version: 3, order: { status: 'PAID', totalAmount: '60.28', version: 3 } });
    expect(paid.events.map((e: Event) => [e.eventType, e.payload])).toEqual([['OrderPaid', { amount: '60.28' }]]);
    expect(paid.order.paidAt).toBe(paid.events[0].timestamp);

    const shipped = (await ok(SHIP, { input: { orderId, expectedVersion: 3 } })).shipOrder;
    expect(shipped).toMatchObject({ version: 4, order: { status: 'SHIPPED', totalAmount: '60.28', version: 4 } });
    expect(shipped.events.map((e: Event) => [e.eventType, e.payload, e.version])).toEqual([['OrderShipped', {}, 4]]);
    expect(shipped.order.shippedAt).toBe(shipped.events[0].timestamp);
    expect(shipped.order.paidAt).toBe(paid.order.paidAt);
    expect(shipped.order.createdAt).toBe(placed.order.createdAt);

    const trail = await history(orderId);
    expect(trail.map((e) => [e.eventType, e.version])).toEqual([
      ['OrderPlaced', 1],
      ['ItemAdded', 2],
      ['OrderPaid', 3],
      ['OrderShipped', 4],
    ]);
    expect(trail.map((e) => e.eventId)).toEqual([placed, added, paid, shipped].map((r) => r.events[0].eventId));
  });

  it('pays exactly the current total, item additions included (no float drift)', async () => {
    const customerId = await registerCustomer();
    const orderId = await placeOrder(customerId, [{ productId: 'a', quantity: 3, unitPrice: '0.10' }]);
    await ok(ADD_ITEM, { input: { orderId, item: { productId: 'b', quantity: 1, unitPrice: 0.2 } } });
    await ok(ADD_ITEM, { input: { orderId, item: { productId: 'c', quantity: 7, unitPrice: '19.99' } } });
    const paid = (await ok(PAY, { input: { orderId } })).payOrder;
    // 0.30 + 0.20 + 139.93
    expect(paid.order.totalAmount).toBe('140.43');
    expect(paid.events[0].payload).toEqual({ amount: '140.43' });
  });

  it('cancels a PLACED order, keeping the reason', async () => {
    const orderId = await placeOrder(await registerCustomer());
    const cancelled = (await ok(CANCEL, { input: { orderId, reason: 'changed my mind', expectedVersion: 1 } }))
      .cancelOrder;
    expect(cancelled).toMatchObject({
      version: 2,
      order: { status: 'CANCELLED', cancellationReason: 'changed my mind', version: 2, paidAt: null },
    });
    expect(cancelled.events.map((e: Event) => [e.eventType, e.payload])).toEqual([
      ['OrderCancelled', { reason: 'changed my mind' }],
    ]);
    expect(cancelled.order.cancelledAt).toBe(cancelled.events[0].timestamp);
  });

  it('cancels a PAID order', async () => {
    const orderId = await placeOrder(await registerCustomer());
    await ok(PAY, { input: { orderId } });
    const cancelled = (await ok(CANCEL, { input: { orderId } })).cancelOrder;
    expect(cancelled).toMatchObject({
      version: 3,
      order: { status: 'CANCELLED', cancellationReason: null, version: 3 },
    });
    expect(cancelled.order.paidAt).not.toBeNull();
    expect(cancelled.events.map((e: Event) => [e.eventType, e.payload])).toEqual([['OrderCancelled', {}]]);
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderPaid', 'OrderCancelled']);
  });

  it('deactivates a customer with its reason', async () => {
    const customerId = await registerCustomer();
    const result = (await ok(DEACTIVATE, { input: { customerId, reason: 'moved away', expectedVersion: 1 } }))
      .deactivateCustomer;
    expect(result).toMatchObject({
      aggregateId: customerId,
      version: 2,
      customer: { id: customerId, active: false, deactivationReason: 'moved away', version: 2 },
    });
    expect(result.events.map((e: Event) => [e.eventType, e.payload, e.version])).toEqual([
      ['CustomerDeactivated', { reason: 'moved away' }, 2],
    ]);
  });
});

describe('idempotency (commandId)', () => {
  it('returns the first result for a repeated commandId and appends only once', async () => {
    const customerId = await registerCustomer();
    const commandId = randomUUID();
    const input = { customerId, items: [book], commandId };
    const before = await wholeLog();
    const first = (await ok(PLACE, { input })).placeOrder;
    const afterFirst = await wholeLog();
    const second = (await ok(PLACE, { input })).placeOrder;
    const afterSecond = await wholeLog();

    expect(second).toEqual(first);
    expect(second.events.map((e: Event) => e.eventId)).toEqual(first.events.map((e: Event) => e.eventId));
    expect(afterFirst).toHaveLength(before.length + 1);
    expect(afterSecond).toEqual(afterFirst);
    expect(await history(first.aggregateId)).toHaveLength(1);
  });

  it('still returns the first result of an addItem after the order has moved on', async () => {
    const orderId = await placeOrder(await registerCustomer());
    const input = { orderId, item: pen, commandId: randomUUID() };
    const first = (await ok(ADD_ITEM, { input })).addItem;
    await ok(PAY, { input: { orderId } });
    const again = (await ok(ADD_ITEM, { input })).addItem;
    expect(again).toEqual(first);
    expect(again.order).toMatchObject({ status: 'PLACED', version: 2 });
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'ItemAdded', 'OrderPaid']);
  });

  it('treats a different correlationId with the same commandId and input as the same command', async () => {
    const customerId = await registerCustomer();
    const commandId = randomUUID();
    const first = (await ok(PLACE, { input: { customerId, items: [book], commandId, correlationId: 'first-try' } }))
      .placeOrder;
    const retry = (await ok(PLACE, { input: { customerId, items: [book], commandId, correlationId: 'second-try' } }))
      .placeOrder;
    expect(retry).toEqual(first);
    expect(retry.events[0].metadata.correlationId).toBe('first-try');
  });

  it('refuses the same commandId with a different input with IDEMPOTENCY_CONFLICT and appends nothing', async () => {
    const customerId = await registerCustomer();
    const commandId = randomUUID();
    await ok(PLACE, { input: { customerId, items: [book], commandId } });
    const before = await wholeLog();

    const differentItems = await server.gql(PLACE, { input: { customerId, items: [pen], commandId } });
    expect(differentItems.errors?.map((e) => e.extensions?.code)).toEqual(['IDEMPOTENCY_CONFLICT']);
    expect(differentItems.data?.placeOrder ?? null).toBeNull();

    const differentCommand = await server.gql(REGISTER, {
      input: { name: 'Eve', email: 'eve@example.com', commandId },
    });
    expect(differentCommand.errors?.map((e) => e.extensions?.code)).toEqual(['IDEMPOTENCY_CONFLICT']);

    expect(await wholeLog()).toEqual(before);
  });

  it('appends one set of events for the same placeOrder commandId sent 10 times concurrently, and answers all 10 identically', async () => {
    const customerId = await registerCustomer();
    const commandId = randomUUID();
    const before = await wholeLog();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => server.gql(PLACE, { input: { customerId, items: [book, pen], commandId } })),
    );
    for (const res of responses) expect(res.errors).toBeUndefined();
    const results = responses.map((r) => r.data!.placeOrder);
    for (const result of results) expect(result).toEqual(results[0]);

    const after = await wholeLog();
    expect(after).toHaveLength(before.length + 1);
    const placed = after.filter((e) => e.eventType === 'OrderPlaced' && e.payload.customerId === customerId);
    expect(placed).toHaveLength(1);
    expect(placed[0]!.eventId).toBe(results[0].events[0].eventId);
    expect(placed[0]!.metadata.causationId).toBe(commandId);
  });

  it('answers the same payOrder commandId sent 10 times concurrently with the first result, not a rule violation', async () => {
    const orderId = await placeOrder(await registerCustomer());
    const commandId = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => server.gql(PAY, { input: { orderId, commandId } })),
    );
    expect(responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK')).toEqual(Array(10).fill('OK'));
    const results = responses.map((r) => r.data!.payOrder);
    for (const result of results) expect(result).toEqual(results[0]);
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'OrderPaid']);
  });

  it('answers the same addItem commandId with an expectedVersion sent 10 times concurrently with the first result, not a conflict', async () => {
    const orderId = await placeOrder(await registerCustomer());
    const commandId = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        server.gql(ADD_ITEM, { input: { orderId, item: pen, expectedVersion: 1, commandId } }),
      ),
    );
    expect(responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK')).toEqual(Array(10).fill('OK'));
    const results = responses.map((r) => r.data!.addItem);
    for (const result of results) expect(result).toEqual(results[0]);
    expect((await history(orderId)).map((e) => e.eventType)).toEqual(['OrderPlaced', 'ItemAdded']);
  });
});

describe('concurrent writers without expectedVersion', () => {
  it('lets 10 concurrent addItem commands on one order all succeed, ending at version 11 with no gaps', async () => {
    const orderId = await placeOrder(await registerCustomer(), [{ productId: 'base', quantity: 1, unitPrice: '1.00' }]);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        server.gql(ADD_ITEM, { input: { orderId, item: { productId: `p${i}`, quantity: i + 1, unitPrice: '0.01' } } }),
      ),
    );
    expect(responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK')).toEqual(Array(10).fill('OK'));
    const versions = responses.map((r) => r.data!.addItem.version as number).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    const trail = await history(orderId);
    expect(trail.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(increasing(trail.map((e) => e.position))).toBe(true);
    expect(
      trail
        .slice(1)
        .map((e) => e.payload.item.productId)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
    const current = (await ok(ORDER_AT, { orderId })).orderAt;
    // 1.00 + (1 + 2 + … + 10) × 0.01
    expect(current).toMatchObject({ version: 11, totalAmount: '1.55', itemCount: 56 });
  });
});

describe('event metadata', () => {
  it('keeps the input correlationId, uses the commandId as causationId and records the user', async () => {
    const customerId = await registerCustomer();
    const commandId = `cmd-${randomUUID()}`;
    const placed = (
      await ok(
        PLACE,
        { input: { customerId, items: [book], commandId, correlationId: 'checkout-42' } },
        await server.as({ role: 'staff', sub: 'u-1' }),
      )
    ).placeOrder;
    expect(placed.events[0].metadata).toEqual({ correlationId: 'checkout-42', causationId: commandId, userId: 'u-1' });

    const stored = await wholeLog({ aggregateId: placed.aggregateId });
    expect(stored.map((e) => e.metadata)).toEqual([
      { correlationId: 'checkout-42', causationId: commandId, userId: 'u-1' },
    ]);
  });

  it('generates a causationId and a correlationId when the input has neither', async () => {
    const orderId = await placeOrder(await registerCustomer());
    const paid = (await ok(PAY, { input: { orderId } })).payOrder;
    const { correlationId, causationId, userId } = paid.events[0].metadata;
    expect(causationId).toEqual(expect.any(String));
    expect(causationId.length).toBeGreaterThan(0);
    expect(correlationId).toEqual(expect.any(String));
    expect(correlationId.length).toBeGreaterThan(0);
    // The caller's own subject (the test server's admin token): clients cannot set it.
    expect(userId).toBe('test-admin');
    const again = (await ok(CANCEL, { input: { orderId } })).cancelOrder;
    expect(again.events[0].metadata.causationId).not.toBe(causationId);
  });
});

describe('orderHistory and orderAt', () => {
  let orderId: string;
  let trail: Event[];

  beforeAll(async () => {
    const placed = (await ok(PLACE, { input: { customerId: await registerCustomer(), items: [book] } })).placeOrder;
    orderId = placed.aggregateId;
    // orderAt(at:) is tested between the events: each comes at least 20 ms after the one before.
    await clockPast(placed.events.at(-1).timestamp, 20);
    const added = (
      await ok(ADD_ITEM, { input: { orderId, item: { productId: 'clip', quantity: 3, unitPrice: '0.10' } } })
    ).addItem;
    await clockPast(added.events.at(-1).timestamp, 20);
    await ok(PAY, { input: { orderId } });
    trail = await history(orderId);
  });

  it('returns the order events in version order with increasing positions', () => {
    expect(trail.map((e) => [e.eventType, e.version])).toEqual([
      ['OrderPlaced', 1],
      ['ItemAdded', 2],
      ['OrderPaid', 3],
    ]);
    expect(trail.every((e) => e.aggregateId === orderId && e.aggregateType === 'Order')).toBe(true);
    expect(increasing(trail.map((e) => e.position))).toBe(true);
    expect(new Date(trail[0]!.timestamp) <= new Date(trail[1]!.timestamp)).toBe(true);
  });

  it('returns an empty history for an unknown order and for a customer id', async () => {
    expect(await history('no-such-order')).toEqual([]);
    expect(await history(await registerCustomer())).toEqual([]);
  });

  it('rebuilds the order as of version 1', async () => {
    const at1 = (await ok(ORDER_AT, { orderId, version: 1 })).orderAt;
    expect(at1).toMatchObject({
      id: orderId,
      status: 'PLACED',
      version: 1,
      totalAmount: '59.98',
      itemCount: 2,
      items: [{ productId: 'book', quantity: 2, unitPrice: '29.99', lineTotal: '59.98' }],
      paidAt: null,
    });
    expect(at1.updatedAt).toBe(trail[0]!.timestamp);
  });

  it('rebuilds the order as of version 2 and, without version or at, as it is now', async () => {
    expect((await ok(ORDER_AT, { orderId, version: 2 })).orderAt).toMatchObject({
      status: 'PLACED',
      version: 2,
      totalAmount: '60.28',
    });
    expect((await ok(ORDER_AT, { orderId })).orderAt).toMatchObject({
      status: 'PAID',
      version: 3,
      totalAmount: '60.28',
    });
    expect((await ok(ORDER_AT, { orderId, version: 99 })).orderAt).toMatchObject({ status: 'PAID', version: 3 });
  });

  it('rebuilds the order as of an instant between its first and second events', async () => {
    const t1 = Date.parse(trail[0]!.timestamp);
    const t2 = Date.parse(trail[1]!.timestamp);
    expect(t2 - t1).toBeGreaterThanOrEqual(20);
    const between = new Date(Math.floor((t1 + t2) / 2)).toISOString();
    const atThen = (await ok(ORDER_AT, { orderId, at: between })).orderAt;
    expect(atThen).toMatchObject({ status: 'PLACED', version: 1, totalAmount: '59.98', itemCount: 2 });
    const t3 = Date.parse(trail[2]!.timestamp);
    const later = new Date(Math.floor((t2 + t3) / 2)).toISOString();
    expect((await ok(ORDER_AT, { orderId, at: later })).orderAt).toMatchObject({
      status: 'PLACED',
      version: 2,
      totalAmount: '60.28',
    });
  });

  it('includes an event when at is exactly the timestamp the API served for it', async () => {
    const atSecond = (await ok(ORDER_AT, { orderId, at: trail[1]!.timestamp })).orderAt;
    expect(atSecond).toMatchObject({ version: 2, totalAmount: '60.28' });
  });

  it('combines version and at: the earlier of the two wins', async () => {
    const t3 = Date.parse(trail[2]!.timestamp);
    const afterAll = new Date(t3 + 60_000).toISOString();
    expect((await ok(ORDER_AT, { orderId, version: 1, at: afterAll })).orderAt).toMatchObject({ version: 1 });
  });

  it('answers null for an instant before the order existed and for an unknown order', async () => {
    const before = new Date(Date.parse(trail[0]!.timestamp) - 60_000).toISOString();
    expect((await ok(ORDER_AT, { orderId, at: before })).orderAt).toBeNull();
    expect((await ok(ORDER_AT, { orderId: 'no-such-order' })).orderAt).toBeNull();
  });
});

describe('the events query', () => {
  let customerId: string;
  let orderIds: string[];
  const correlationId = `corr-${randomUUID()}`;

  beforeAll(async () => {
    customerId = await registerCustomer({ correlationId });
    orderIds = [];
    for (let i = 0; i < 3; i++) {
      const orderId = (await ok(PLACE, { input: { customerId, items: [book], correlationId } })).placeOrder.aggregateId;
      await ok(ADD_ITEM, { input: { orderId, item: pen } });
      if (i > 0) await ok(PAY, { input: { orderId, correlationId } });
      orderIds.push(orderId);
    }
    await ok(SHIP, { input: { orderId: orderIds[2] } });
  });

  it('walks the whole log with first: 2 and after: endCursor, visiting every event once in increasing position order', async () => {
    const everything = await wholeLog();
    expect(everything.length).toBeGreaterThan(20);
    const walked: Event[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Page = await eventsPage({ first: 2, after });
      pages += 1;
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      expect(page.edges.map((e) => e.node.eventId)).toEqual(page.nodes.map((n) => n.eventId));
      expect(page.edges.map((e) => e.cursor)).toEqual(page.nodes.map((n) => n.cursor));
      if (page.nodes.length > 0) expect(page.pageInfo.endCursor).toBe(page.nodes.at(-1)!.cursor);
      walked.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) break;
      expect(page.nodes).toHaveLength(2);
      after = page.pageInfo.endCursor;
      expect(pages).toBeLessThan(1000);
    }
    expect(pages).toBe(Math.ceil(everything.length / 2));
    expect(walked.map((e) => e.eventId)).toEqual(everything.map((e) => e.eventId));
    expect(new Set(walked.map((e) => e.eventId)).size).toBe(walked.length);
    expect(increasing(walked.map((e) => e.position))).toBe(true);
  });

  it('ends with an empty page whose endCursor is null and hasNextPage false', async () => {
    const everything = await wholeLog();
    const page = await eventsPage({ first: 2, after: everything.at(-1)!.cursor });
    expect(page).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('filters by aggregateId: only that order, versions 1..n, paginated', async () => {
    const orderId = orderIds[2]!;
    const first = await eventsPage({ filter: { aggregateId: orderId }, first: 2 });
    expect(first.nodes.map((e) => [e.eventType, e.version])).toEqual([
      ['OrderPlaced', 1],
      ['ItemAdded', 2],
    ]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await eventsPage({ filter: { aggregateId: orderId }, first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((e) => [e.eventType, e.version])).toEqual([
      ['OrderPaid', 3],
      ['OrderShipped', 4],
    ]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...first.nodes, ...second.nodes].map((e) => e.eventId)).toEqual(
      (await history(orderId)).map((e) => e.eventId),
    );
  });

  it('filters by eventTypes: only the listed types, in position order', async () => {
    const paidOrShipped = await wholeLog({ eventTypes: ['OrderPaid', 'OrderShipped'] });
    const all = await wholeLog();
    expect(paidOrShipped.map((e) => e.eventId)).toEqual(
      all.filter((e) => e.eventType === 'OrderPaid' || e.eventType === 'OrderShipped').map((e) => e.eventId),
    );
    expect(paidOrShipped.length).toBeGreaterThanOrEqual(3);
    const ours = paidOrShipped.filter((e) => orderIds.includes(e.aggregateId)).map((e) => e.eventType);
    expect(ours).toEqual(['OrderPaid', 'OrderPaid', 'OrderShipped']);
  });

  it('filters by correlationId: exactly the events of the commands that carried it', async () => {
    const correlated = await wholeLog({ correlationId });
    expect(correlated.map((e) => [e.eventType, e.aggregateId])).toEqual([
      ['CustomerRegistered', customerId],
      ['OrderPlaced', orderIds[0]],
      ['OrderPlaced', orderIds[1]],
      ['OrderPaid', orderIds[1]],
      ['OrderPlaced', orderIds[2]],
      ['OrderPaid', orderIds[2]],
    ]);
    expect(correlated.every((e) => e.metadata.correlationId === correlationId)).toBe(true);
  });

  it('filters by aggregateType, and combines filters', async () => {
    const all = await wholeLog();
    const customers = await wholeLog({ aggregateType: 'Customer' });
    expect(customers.map((e) => e.eventId)).toEqual(
      all.filter((e) => e.aggregateType === 'Customer').map((e) => e.eventId),
    );
    expect(customers.map((e) => e.aggregateId)).toContain(customerId);
    expect(customers.every((e) => e.eventType.startsWith('Customer'))).toBe(true);

    const orders = await wholeLog({ aggregateType: 'Order', correlationId });
    expect(orders.map((e) => e.eventType)).toEqual([
      'OrderPlaced',
      'OrderPlaced',
      'OrderPaid',
      'OrderPlaced',
      'OrderPaid',
    ]);
    expect(await wholeLog({ aggregateType: 'Customer', eventTypes: ['OrderPlaced'] })).toEqual([]);
  });

  it('filters by fromTimestamp: only events stored at or after it', async () => {
    const trail = await history(orderIds[2]!);
    const shipped = trail.at(-1)!;
    const from = await wholeLog({ fromTimestamp: shipped.timestamp });
    expect(from.map((e) => e.eventId)).toContain(shipped.eventId);
    expect(from.every((e) => Date.parse(e.timestamp) >= Date.parse(shipped.timestamp))).toBe(true);
  });

  it('accepts a bare position as after, exactly like the cursor of that event', async () => {
    const all = await wholeLog();
    const pivot = all[Math.floor(all.length / 2)]!;
    const byCursor = await eventsPage({ first: 5, after: pivot.cursor });
    const byPosition = await eventsPage({ first: 5, after: pivot.position });
    expect(byPosition).toEqual(byCursor);
    const expected = all.filter((e) => BigInt(e.position) > BigInt(pivot.position)).slice(0, 5);
    expect(byPosition.nodes.map((e) => e.eventId)).toEqual(expected.map((e) => e.eventId));
    expect(byPosition.nodes.map((e) => e.eventId)).not.toContain(pivot.eventId);
  });

  it('serves positions as strings of digits and cursors that are opaque', async () => {
    const page = await eventsPage({ first: 3 });
    for (const event of page.nodes) {
      expect(event.position).toMatch(/^\d+$/);
      expect(event.cursor).not.toBe(event.position);
    }
  });
});
