import { randomUUID } from 'node:crypto';
import { eventually } from '../support/eventually';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';
import { subscriptionStarts } from '../support/subscription-starts';
import { collect } from '../support/subscriptions';

// What one caller chooses reaches no other tenant: a commandId is a key in its caller's own namespace, a customer's
// command on someone else's order is refused unloaded exactly as one on an unknown id, and a customer's
// correlationId is stored in their namespace, which they never see.

const statements: string[] = [];
const starts = subscriptionStarts();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { schema: starts.schema, onQuery: (sql) => statements.push(sql) });
});
afterAll(() => server.close());

const EVENT = 'eventId aggregateId eventType payload metadata { correlationId causationId userId }';
const PLACE = `mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { aggregateId version position events { ${EVENT} } order { id customerId items { productId } } }
}`;
const PAY = `mutation ($input: PayOrderInput!) { payOrder(input: $input) { version events { ${EVENT} } } }`;
const CANCEL = `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { version events { ${EVENT} } } }`;
const ADD_ITEM = `mutation ($input: AddItemInput!) { addItem(input: $input) { version } }`;
const EVENTS = `query ($filter: EventFilter) { events(filter: $filter, first: 100) { nodes { ${EVENT} } } }`;
const HISTORY = `query ($id: ID!) { orderHistory(orderId: $id) { ${EVENT} } }`;

type Event = {
  eventId: string;
  aggregateId: string;
  eventType: string;
  payload: Record<string, unknown>;
  metadata: { correlationId: string; causationId: string; userId: string | null };
};

const book = { productId: 'book', quantity: 1, unitPrice: '12.00' };
const pen = { productId: 'pen', quantity: 3, unitPrice: '1.50' };

type Caller = { customerId: string; headers: Record<string, string> };
let alice: Caller;
let bob: Caller;
let staff: Record<string, string>;

beforeAll(async () => {
  staff = await server.as({ role: 'staff', sub: 'staff-1' });
  const register = async (name: string): Promise<Caller> => {
    const res = await server.gql(
      'mutation ($n: String!, $e: String!) { registerCustomer(input: { name: $n, email: $e }) { aggregateId } }',
      { n: name, e: `${name.toLowerCase()}@example.com` },
      staff,
    );
    const customerId = res.data!.registerCustomer.aggregateId as string;
    return { customerId, headers: await server.as({ role: 'customer', customerId, sub: name.toLowerCase() }) };
  };
  alice = await register('Alice');
  bob = await register('Bob');
});

const ok = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  server.ok(query, variables, headers);

const place = async (caller: Caller, input: Record<string, unknown> = {}) =>
  (await ok(PLACE, { input: { customerId: caller.customerId, items: [book], ...input } }, caller.headers)).placeOrder;

const events = async (filter: Record<string, unknown>, headers: Record<string, string>): Promise<Event[]> =>
  (await ok(EVENTS, { filter }, headers)).events.nodes;

describe('commandId, scoped to the caller', () => {
  it("applies Bob's command under Alice's commandId as his own and tells him nothing, while Alice's repeat still replays hers", async () => {
    const commandId = randomUUID();
    const alices = await place(alice, { commandId });

    const bobs = await server.gql(
      PLACE,
      { input: { customerId: bob.customerId, items: [pen], commandId } },
      bob.headers,
    );
    expect(bobs.errors).toBeUndefined();
    const his = bobs.data!.placeOrder;
    expect(his.aggregateId).not.toBe(alices.aggregateId);
    expect(his.version).toBe(1);
    expect(his.order).toMatchObject({ customerId: bob.customerId, items: [{ productId: 'pen' }] });
    expect(his.events).toHaveLength(1);
    expect(his.events[0]).toMatchObject({ aggregateId: his.aggregateId, payload: { customerId: bob.customerId } });
    expect(his.events[0].metadata).toMatchObject({ causationId: commandId, userId: 'bob' });

    // Alice's order is as she left it, and her key still answers with her first result.
    const history: Event[] = (await ok(HISTORY, { id: alices.aggregateId }, alice.headers)).orderHistory;
    expect(history.map((e) => e.eventId)).toEqual(alices.events.map((e: Event) => e.eventId));
    expect(await place(alice, { commandId })).toEqual(alices);
    const different = await server.gql(
      PLACE,
      { input: { customerId: alice.customerId, items: [pen], commandId } },
      alice.headers,
    );
    expect(different.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_CONFLICT');

    // And Bob's repeat replays his own.
    const again = await server.gql(
      PLACE,
      { input: { customerId: bob.customerId, items: [pen], commandId } },
      bob.headers,
    );
    expect(again.data!.placeOrder).toEqual(his);
  });

  it("keeps a key a customer claimed first from refusing staff's command under the same key", async () => {
    const orderId = (await place(alice)).aggregateId;
    const commandId = randomUUID();
    await place(bob, { commandId });
    const paid = await server.gql(PAY, { input: { orderId, commandId } }, staff);
    expect(paid.errors).toBeUndefined();
    expect(paid.data!.payOrder.version).toBe(2);
  });
});

describe("a customer's command on another customer's order", () => {
  /** The statements the server sent for one request that name a stream (the loads and the ownership check). */
  async function streamStatements(send: () => Promise<GraphQLResponse>) {
    const from = statements.length;
    const res = await send();
    return { res, sent: statements.slice(from).filter((sql) => /aggregate_id = \$/.test(sql)) };
  }

  it.each([
    ['cancelOrder', CANCEL, (orderId: string) => ({ orderId })],
    ['payOrder', PAY, (orderId: string) => ({ orderId })],
    ['addItem', ADD_ITEM, (orderId: string) => ({ orderId, item: pen })],
  ])(
    '%s is NOT_FOUND exactly as for an unknown id, after one ownership check and without loading the order',
    async (_name, mutation, input) => {
      const orderId = (await place(alice)).aggregateId;
      const unknownId = randomUUID();
      const loads = jest.spyOn(server.app.services.store, 'loadStream');
      try {
        const others = await streamStatements(() => server.gql(mutation, { input: input(orderId) }, bob.headers));
        const unknown = await streamStatements(() => server.gql(mutation, { input: input(unknownId) }, bob.headers));

        const refusal = (res: GraphQLResponse, id: string) =>
          JSON.stringify({ data: res.data, errors: res.errors }).replaceAll(id, '<id>');
        expect(others.res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect(refusal(others.res, orderId)).toBe(refusal(unknown.res, unknownId));
        expect(loads).not.toHaveBeenCalled();
        // One statement each, the same one: the stream's recorded owner, read by an index; no events, no snapshot.
        expect(others.sent).toHaveLength(1);
        expect(others.sent).toEqual(unknown.sent);
        expect(others.sent[0]).not.toMatch(/snapshots|payload/);
      } finally {
        loads.mockRestore();
      }
      // The owner's own command still goes through, and the order was never touched.
      const cancelled = await ok(CANCEL, { input: { orderId } }, alice.headers);
      expect(cancelled.cancelOrder.version).toBe(2);
    },
  );

  it("still refuses a customer's repeat of their own commandId on another's order as NOT_FOUND", async () => {
    const orderId = (await place(alice)).aggregateId;
    const commandId = randomUUID();
    const first = await server.gql(CANCEL, { input: { orderId, commandId } }, bob.headers);
    const second = await server.gql(CANCEL, { input: { orderId, commandId } }, bob.headers);
    expect([first, second].map((r) => r.errors?.[0]?.extensions?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it('costs staff no ownership check', async () => {
    const orderId = (await place(alice)).aggregateId;
    const from = statements.length;
    await ok(PAY, { input: { orderId } }, staff);
    expect(statements.slice(from).filter((sql) => /owner_id = \$/.test(sql))).toEqual([]);
  });
});

describe("a customer's correlationId, in their namespace", () => {
  it("keeps two customers' identical correlationIds apart in staff's view, while each sees and filters by their own", async () => {
    const correlationId = `checkout-${randomUUID()}`;
    const alices = await place(alice, { correlationId });
    const bobs = await place(bob, { correlationId });
    expect(alices.events[0].metadata.correlationId).toBe(correlationId);
    expect(bobs.events[0].metadata.correlationId).toBe(correlationId);

    // Staff: two different values, each naming its customer; the bare value is nobody's.
    const [aliceStored] = await events({ aggregateId: alices.aggregateId }, staff);
    const [bobStored] = await events({ aggregateId: bobs.aggregateId }, staff);
    expect(aliceStored!.metadata.correlationId).toBe(`${alice.customerId}:${correlationId}`);
    expect(bobStored!.metadata.correlationId).toBe(`${bob.customerId}:${correlationId}`);
    expect(await events({ correlationId }, staff)).toEqual([]);
    const aliceCorrelated = await events({ correlationId: `${alice.customerId}:${correlationId}` }, staff);
    expect(aliceCorrelated.map((e) => e.eventId)).toEqual([alices.events[0].eventId]);

    // Each customer: their own value as they sent it, and their own events only.
    for (const [caller, result] of [
      [alice, alices],
      [bob, bobs],
    ] as const) {
      const own = await events({ correlationId }, caller.headers);
      expect(own.map((e) => e.eventId)).toEqual([result.events[0].eventId]);
      expect(own[0]!.metadata.correlationId).toBe(correlationId);
      const [history] = (await ok(HISTORY, { id: result.aggregateId }, caller.headers)).orderHistory as Event[];
      expect(history!.metadata.correlationId).toBe(correlationId);
    }
  });

  it("does not let a customer put another customer's stored correlationId on his events", async () => {
    const correlationId = `checkout-${randomUUID()}`;
    const alices = await place(alice, { correlationId });
    const aliceStored = `${alice.customerId}:${correlationId}`;
    const bobs = await place(bob, { correlationId: aliceStored });
    expect(bobs.events[0].metadata.correlationId).toBe(aliceStored);

    const correlated = await events({ correlationId: aliceStored }, staff);
    expect(correlated.map((e) => e.eventId)).toEqual([alices.events[0].eventId]);
    const [bobStored] = await events({ aggregateId: bobs.aggregateId }, staff);
    expect(bobStored!.metadata.correlationId).toBe(`${bob.customerId}:${aliceStored}`);
  });

  it("gives a customer's command without a correlationId a fresh one rather than their commandId, which they see and filter by as it is", async () => {
    const commandId = `mine-${randomUUID()}`;
    const placed = await place(alice, { commandId });
    const { correlationId, causationId } = placed.events[0].metadata;
    expect(causationId).toBe(commandId);
    expect(correlationId).not.toBe(commandId);
    const [stored] = await events({ aggregateId: placed.aggregateId }, staff);
    expect(stored!.metadata.correlationId).toBe(correlationId);
    expect((await events({ correlationId }, alice.headers)).map((e) => e.eventId)).toEqual([placed.events[0].eventId]);

    // Staff's own correlationId on the customer's order: shown and found as it is.
    const staffCorrelation = `support-${randomUUID()}`;
    const cancelled = await ok(
      CANCEL,
      { input: { orderId: placed.aggregateId, correlationId: staffCorrelation } },
      staff,
    );
    const found = await events({ correlationId: staffCorrelation }, alice.headers);
    expect(found.map((e) => e.eventId)).toEqual([cancelled.cancelOrder.events[0].eventId]);
    expect(found[0]!.metadata.correlationId).toBe(staffCorrelation);
  });

  it('holds the stored value to MAX_ID_LENGTH: a customer has that less their prefix for theirs', async () => {
    const room = 128 - `${alice.customerId}:`.length;
    const fits = await place(alice, { correlationId: 'x'.repeat(room) });
    expect(fits.events[0].metadata.correlationId).toBe('x'.repeat(room));
    const tooLong = await server.gql(
      PLACE,
      { input: { customerId: alice.customerId, items: [book], correlationId: 'x'.repeat(room + 1) } },
      alice.headers,
    );
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'correlationId' });
  });

  it("serves a customer's events subscription their own value while staff's identical subscription sees it namespaced", async () => {
    const SUBSCRIBE =
      'subscription { events(filter: { eventTypes: [OrderPlaced] }) { eventId metadata { correlationId } } }';
    type Received = { eventId: string; metadata: { correlationId: string } };
    const before = starts.count('events');
    const staffSub = collect<Received>(server.ws(staff), SUBSCRIBE, {}, (d) => d.events);
    const aliceSub = collect<Received>(server.ws(alice.headers), SUBSCRIBE, {}, (d) => d.events);
    await starts.until('events', before + 2);

    const correlationId = `live-${randomUUID()}`;
    const placed = await place(alice, { correlationId });
    const eventId = placed.events[0].eventId;
    const seen = async (sub: typeof staffSub) =>
      eventually(async () => {
        const event = sub.items.find((e) => e.eventId === eventId);
        expect(event).toBeDefined();
        return event!.metadata.correlationId;
      });
    expect(await seen(aliceSub)).toBe(correlationId);
    expect(await seen(staffSub)).toBe(`${alice.customerId}:${correlationId}`);
    staffSub.stop();
    aliceSub.stop();
  });
});
