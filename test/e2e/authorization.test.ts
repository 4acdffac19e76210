import { buildSchema, type GraphQLObjectType } from 'graphql';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { eventually } from '../support/eventually';
import { startTestServer, wsRequest, type GraphQLResponse, type TestServer } from '../support/server';
import { subscriptionStarts } from '../support/subscription-starts';
import { collect } from '../support/subscriptions';

// Who may do what (docs/api.md, "Roles"): every query and mutation of the schema, run by every kind of caller over HTTP and
// over graphql-ws, against the role table. A new operation without a row here fails the first test.

let server: TestServer;
const starts = subscriptionStarts();
beforeAll(async () => {
  server = await startTestServer({}, { schema: starts.schema });
});
afterAll(() => server.close());

/** What a caller got: an error code, or what the field held (null, an empty list or page, or something). */
type Outcome = 'ok' | 'null' | 'empty' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';
type Caller = 'anonymous' | 'own customer' | 'other customer' | 'staff' | 'admin';
const CALLERS: readonly Caller[] = ['anonymous', 'own customer', 'other customer', 'staff', 'admin'];

/** One customer (`alice`) is the caller; `bob` is someone else. Targets are made fresh for each call by staff. */
type People = { alice: string; bob: string };
type Operation = {
  /** The document and variables, acting on the caller's own data (`mine`) or on someone else's. */
  run(target: { customerId: string; fresh: () => Promise<Record<string, string>> }): Promise<[string, object]>;
  expect: Readonly<Record<Caller, Outcome>>;
};

const ANYONE_OWN = (other: Outcome): Record<Caller, Outcome> => ({
  anonymous: 'UNAUTHENTICATED',
  'own customer': 'ok',
  'other customer': other,
  staff: 'ok',
  admin: 'ok',
});
const STAFF_ONLY: Record<Caller, Outcome> = {
  anonymous: 'UNAUTHENTICATED',
  'own customer': 'FORBIDDEN',
  'other customer': 'FORBIDDEN',
  staff: 'ok',
  admin: 'ok',
};
const ADMIN_ONLY: Record<Caller, Outcome> = { ...STAFF_ONLY, staff: 'FORBIDDEN' };

const ITEM = { productId: 'p', quantity: 1, unitPrice: '1.00' };

const OPERATIONS: Record<string, Operation> = {
  'Query.order': {
    run: async ({ fresh }) => ['query ($id: ID!) { order(id: $id) { id } }', { id: (await fresh()).orderId }],
    expect: ANYONE_OWN('null'),
  },
  'Query.orders': {
    run: async ({ customerId, fresh }) => {
      await fresh();
      return ['query ($c: ID) { orders(filter: { customerId: $c }) { nodes { id } } }', { c: customerId }];
    },
    expect: ANYONE_OWN('empty'),
  },
  'Query.customer': {
    run: async ({ customerId }) => ['query ($id: ID!) { customer(id: $id) { id } }', { id: customerId }],
    expect: ANYONE_OWN('null'),
  },
  'Query.customers': {
    // Staff find Alice by name, whichever customer the row acts for: a customer is refused before any read.
    run: async () => ['query { customers(filter: { search: "ALICE" }) { nodes { id } } }', {}],
    expect: STAFF_ONLY,
  },
  'Query.viewer': {
    run: async () => ['{ viewer { subject role } }', {}],
    expect: ANYONE_OWN('ok'),
  },
  'Query.orderStatusCounts': {
    run: async () => ['{ orderStatusCounts { status count } }', {}],
    expect: STAFF_ONLY,
  },
  'Query.projections': { run: async () => ['{ projections { name parked { eventId } } }', {}], expect: STAFF_ONLY },
  'Query.orderHistory': {
    run: async ({ fresh }) => [
      'query ($id: ID!) { orderHistory(orderId: $id) { eventId } }',
      { id: (await fresh()).orderId },
    ],
    expect: ANYONE_OWN('empty'),
  },
  'Query.orderAt': {
    run: async ({ fresh }) => [
      'query ($id: ID!) { orderAt(orderId: $id, version: 1) { id } }',
      { id: (await fresh()).orderId },
    ],
    expect: ANYONE_OWN('null'),
  },
  'Query.events': {
    run: async ({ fresh }) => [
      'query ($id: ID) { events(filter: { aggregateId: $id }) { nodes { eventId } } }',
      { id: (await fresh()).orderId },
    ],
    expect: ANYONE_OWN('empty'),
  },
  'Query.node': {
    run: async ({ fresh }) => ['query ($id: ID!) { node(id: $id) { id } }', { id: (await fresh()).orderId }],
    expect: ANYONE_OWN('null'),
  },
  'Query.nodes': {
    run: async ({ fresh }) => ['query ($id: ID!) { nodes(ids: [$id]) { id } }', { id: (await fresh()).orderId }],
    expect: ANYONE_OWN('null'),
  },
  'Mutation.registerCustomer': {
    run: async () => [
      'mutation { registerCustomer(input: { name: "New", email: "new@example.com" }) { aggregateId } }',
      {},
    ],
    expect: STAFF_ONLY,
  },
  'Mutation.deactivateCustomer': {
    run: async ({ fresh }) => [
      'mutation ($id: ID!) { deactivateCustomer(input: { customerId: $id }) { aggregateId } }',
      { id: (await fresh()).newCustomerId },
    ],
    expect: STAFF_ONLY,
  },
  'Mutation.forgetCustomer': {
    run: async ({ fresh }) => [
      'mutation ($id: ID!) { forgetCustomer(input: { customerId: $id }) { aggregateId } }',
      { id: (await fresh()).newCustomerId },
    ],
    expect: ADMIN_ONLY,
  },
  'Mutation.placeOrder': {
    run: async ({ customerId }) => [
      'mutation ($c: ID!, $i: [OrderItemInput!]!) { placeOrder(input: { customerId: $c, items: $i }) { aggregateId } }',
      { c: customerId, i: [ITEM] },
    ],
    // Placing an order for someone else: refused for what it is, without saying whether they exist.
    expect: ANYONE_OWN('FORBIDDEN'),
  },
  'Mutation.addItem': {
    run: async ({ fresh }) => [
      'mutation ($id: ID!, $i: OrderItemInput!) { addItem(input: { orderId: $id, item: $i }) { aggregateId } }',
      { id: (await fresh()).orderId, i: ITEM },
    ],
    expect: ANYONE_OWN('NOT_FOUND'),
  },
  'Mutation.payOrder': {
    run: async ({ fresh }) => [
      'mutation ($id: ID!) { payOrder(input: { orderId: $id }) { aggregateId } }',
      { id: (await fresh()).orderId },
    ],
    expect: ANYONE_OWN('NOT_FOUND'),
  },
  'Mutation.cancelOrder': {
    run: async ({ fresh }) => [
      'mutation ($id: ID!) { cancelOrder(input: { orderId: $id }) { aggregateId } }',
      { id: (await fresh()).orderId },
    ],
    expect: ANYONE_OWN('NOT_FOUND'),
  },
  'Mutation.shipOrder': {
    run: async ({ fresh }) => [
      'mutation ($id: ID!) { shipOrder(input: { orderId: $id }) { aggregateId } }',
      { id: (await fresh()).paidOrderId },
    ],
    expect: STAFF_ONLY,
  },
  // This server publishes to no bus: an admitted caller sees no relay, and restarting one finds none.
  'Query.relays': {
    run: async () => ['{ relays { name } }', {}],
    expect: { ...STAFF_ONLY, staff: 'empty', admin: 'empty' },
  },
  'Query.reactors': {
    run: async () => ['{ reactors { name } }', {}],
    expect: STAFF_ONLY,
  },
  // No payment window here: an admitted caller finds nothing scheduled.
  'Query.scheduledCommands': {
    run: async () => ['{ scheduledCommands { key } }', {}],
    expect: { ...STAFF_ONLY, staff: 'empty', admin: 'empty' },
  },
  'Mutation.restartRelay': {
    run: async () => ['mutation { restartRelay(from: "0") { name } }', {}],
    expect: { ...ADMIN_ONLY, admin: 'NOT_FOUND' },
  },
  'Mutation.rebuildProjection': {
    run: async () => ['mutation { rebuildProjection(name: "customers") { name } }', {}],
    expect: ADMIN_ONLY,
  },
  'Mutation.retryProjection': {
    run: async () => ['mutation { retryProjection(name: "orders") { name } }', {}],
    expect: ADMIN_ONLY,
  },
  // Nothing is parked here: an admitted caller finds no such event.
  'Mutation.retryParked': {
    run: async () => [`mutation { retryParked(projection: "orders", eventId: "${randomUUID()}") { name } }`, {}],
    expect: { ...ADMIN_ONLY, admin: 'NOT_FOUND' },
  },
  'Mutation.skipParked': {
    run: async () => [`mutation { skipParked(projection: "orders", eventId: "${randomUUID()}") { name } }`, {}],
    expect: { ...ADMIN_ONLY, admin: 'NOT_FOUND' },
  },
};

const schema = buildSchema(fs.readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'));
const rootFields = (type: GraphQLObjectType | null | undefined) =>
  Object.keys(type?.getFields() ?? {}).map((field) => `${type!.name}.${field}`);

it('has a row for every query and mutation of the schema', () => {
  const operations = [...rootFields(schema.getQueryType()), ...rootFields(schema.getMutationType())];
  expect(Object.keys(OPERATIONS).sort()).toEqual(operations.sort());
});

let people: People;
beforeAll(async () => {
  const register = async (name: string) => {
    const res = await server.gql(
      'mutation ($n: String!, $e: String!) { registerCustomer(input: { name: $n, email: $e }) { aggregateId } }',
      { n: name, e: `${name.toLowerCase()}@example.com` },
    );
    return res.data!.registerCustomer.aggregateId as string;
  };
  people = { alice: await register('Alice'), bob: await register('Bob') };
});

/** A fresh order and a paid one for `customerId`, and a new customer, made by staff: each call acts on its own. */
async function freshFor(customerId: string): Promise<Record<string, string>> {
  const staff = await server.as({ role: 'staff' });
  const registered = await server.gql(
    'mutation { registerCustomer(input: { name: "Fresh", email: "fresh@example.com" }) { aggregateId } }',
    {},
    staff,
  );
  const place = async () => {
    const res = await server.gql(
      'mutation ($c: ID!, $i: [OrderItemInput!]!) { placeOrder(input: { customerId: $c, items: $i }) { aggregateId } }',
      { c: customerId, i: [ITEM] },
      staff,
    );
    return res.data!.placeOrder.aggregateId as string;
  };
  const [orderId, paidOrderId] = await Promise.all([place(), place()]);
  await server.gql('mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }', { id: paidOrderId }, staff);
  return { orderId, paidOrderId, newCustomerId: registered.data!.registerCustomer.aggregateId };
}

async function headersOf(caller: Caller): Promise<Record<string, string>> {
  switch (caller) {
    case 'anonymous':
      return { authorization: '' };
    case 'own customer':
    case 'other customer':
      return server.as({ role: 'customer', customerId: people.alice, sub: 'alice' });
    case 'staff':
      return server.as({ role: 'staff' });
    case 'admin':
      return server.as({ role: 'admin' });
  }
}

function outcomeOf(field: string, res: GraphQLResponse): Outcome {
  if (res.errors?.length) return res.errors[0]!.extensions!.code as Outcome;
  const value = res.data?.[field];
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : value.every((v) => v === null) ? 'null' : 'ok';
  if (typeof value === 'object' && 'nodes' in value)
    return (value as { nodes: unknown[] }).nodes.length ? 'ok' : 'empty';
  return 'ok';
}

const cases = Object.entries(OPERATIONS).flatMap(([name, operation]) =>
  CALLERS.map((caller) => [name, caller, operation.expect[caller]] as const),
);

describe.each(['HTTP', 'graphql-ws'] as const)('over %s', (transport) => {
  const sockets = new Map<Caller, Client>();
  afterAll(() => Promise.all([...sockets.values()].map((s) => s.dispose())));

  async function send(caller: Caller, query: string, variables: object): Promise<GraphQLResponse> {
    const headers = await headersOf(caller);
    if (transport === 'HTTP') return server.gql(query, variables as Record<string, unknown>, headers);
    let socket = sockets.get(caller);
    if (!socket) {
      socket = server.ws(headers.authorization ? headers : {});
      sockets.set(caller, socket);
    }
    // A socket without a token is closed at connection_init with 4401 (Unauthorized): graphql-ws's UNAUTHENTICATED.
    return wsRequest(socket, query, variables as Record<string, unknown>).catch(
      (errors: GraphQLResponse['errors'] | { code: number }) =>
        errors !== undefined && 'code' in errors && errors.code === 4401
          ? { errors: [{ message: 'closed with 4401', extensions: { code: 'UNAUTHENTICATED' } }] }
          : { errors: errors as GraphQLResponse['errors'] },
    );
  }

  it.each(cases)('%s as %s: %s', async (name, caller, expected) => {
    const field = name.split('.')[1]!;
    const customerId = caller === 'other customer' ? people.bob : people.alice;
    const [query, variables] = await OPERATIONS[name]!.run({ customerId, fresh: () => freshFor(customerId) });
    expect(outcomeOf(field, await send(caller, query, variables))).toBe(expected);
  });
});

describe('subscriptions', () => {
  const alice = () => server.as({ role: 'customer', customerId: people.alice, sub: 'alice' });
  const staff = () => server.as({ role: 'staff' });
  const pay = async (orderId: string) =>
    server.gql('mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }', { id: orderId }, await staff());
  /** Resolves once the server has started one more subscription to `field` than before `open`. */
  const opened = async <T>(field: string, open: () => T): Promise<T> => {
    const before = starts.count(field);
    const opened = open();
    await starts.until(field, before + 1);
    return opened;
  };

  it('refuses an anonymous connection before any subscription starts (4401)', async () => {
    const socket = server.ws({});
    for (const query of [
      'subscription { events { eventId } }',
      'subscription { ordersChanged { id } }',
      'subscription { orderListChanged { change } }',
      'subscription { orderChanged(orderId: "x") { id } }',
    ]) {
      await expect(wsRequest(socket, query)).rejects.toMatchObject({ code: 4401 });
    }
  });

  it("carries to a customer's events subscription only their own events, orders placed after subscribing included", async () => {
    const socket = server.ws(await alice());
    const sub = await opened('events', () =>
      collect<{ aggregateId: string }>(socket, 'subscription { events { aggregateId } }', {}, (d) => d.events),
    );
    // Bob's orders first: had any of their events been delivered, they would arrive before Alice's.
    await freshFor(people.bob);
    const alices = await freshFor(people.alice);
    // Alice's: two OrderPlaced and one OrderPaid.
    const received = await sub.until(3);
    expect(
      received
        .slice(0, 3)
        .map((e) => e.aggregateId)
        .sort(),
    ).toEqual([alices.orderId, alices.paidOrderId, alices.paidOrderId].sort());
    sub.stop();
  });

  it("pushes to a customer's ordersChanged and orderChanged only their own orders", async () => {
    const socket = server.ws(await alice());
    const bobs = await freshFor(people.bob);
    const alices = await freshFor(people.alice);
    type Row = { id: string; customerId: string; status: string };
    const ROW = '{ id customerId status }';
    const all = await opened('ordersChanged', () =>
      collect<Row>(socket, `subscription { ordersChanged ${ROW} }`, {}, (d) => d.ordersChanged),
    );
    // Refused at once (another's order is a missing one), so it never starts: wait for its end instead.
    const other = collect<Row>(
      socket,
      `subscription ($id: ID!) { orderChanged(orderId: $id) ${ROW} }`,
      { id: bobs.orderId },
      (d) => d.orderChanged,
    );
    await other.done();
    const own = await opened('orderChanged', () =>
      collect<Row>(
        socket,
        `subscription ($id: ID!) { orderChanged(orderId: $id) ${ROW} }`,
        { id: alices.orderId },
        (d) => d.orderChanged,
      ),
    );
    // Bob's change first: the feed pushes in log order, so a leak would arrive before Alice's change does.
    await pay(bobs.orderId!);
    await pay(alices.orderId!);
    await own.until(2);
    await eventually(async () =>
      expect(all.items).toContainEqual(expect.objectContaining({ id: alices.orderId, status: 'PAID' })),
    );
    expect(own.items.map((r) => r.status)).toEqual(['PLACED', 'PAID']);
    expect(all.items.every((r) => r.customerId === people.alice)).toBe(true);
    expect(other.items).toEqual([]);
    // Another's order is, to a customer, a missing order: NOT_FOUND, as for an id nobody has.
    expect(other.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) }),
    ]);
    for (const s of [all, other, own]) s.stop();
  });

  it("keeps a customer's orderListChanged to their own orders, whatever customer its filter names", async () => {
    const socket = server.ws(await alice());
    type Change = { change: string; order: { id: string; customerId: string; status: string } };
    const LIST =
      'subscription ($f: OrderFilter) { orderListChanged(filter: $f) { change order { id customerId status } } }';
    const bobs = await freshFor(people.bob);
    const alices = await freshFor(people.alice);
    const own = await opened('orderListChanged', () => collect<Change>(socket, LIST, {}, (d) => d.orderListChanged));
    const named = await opened('orderListChanged', () =>
      collect<Change>(socket, LIST, { f: { customerId: people.bob } }, (d) => d.orderListChanged),
    );
    // Bob's change first: the feed pushes in log order, so a leak would arrive before Alice's change does.
    await pay(bobs.orderId!);
    await pay(alices.orderId!);
    await eventually(async () =>
      expect(own.items).toContainEqual(
        expect.objectContaining({ order: { id: alices.orderId, customerId: people.alice, status: 'PAID' } }),
      ),
    );
    expect(own.items.every((m) => m.order.customerId === people.alice)).toBe(true);
    expect(own.items.map((m) => m.order.id)).not.toContain(bobs.orderId);
    expect(named.items).toEqual([]);
    expect(named.errors).toEqual([]);
    own.stop();
    named.stop();
  });
});

it('tells each caller who they are: a customer their own customer, staff and admins none', async () => {
  const query = '{ viewer { subject role customer { id name } } }';
  const asAlice = await server.gql(
    query,
    {},
    await server.as({ role: 'customer', customerId: people.alice, sub: 'alice' }),
  );
  expect(asAlice.data!.viewer).toEqual({
    subject: 'alice',
    role: 'CUSTOMER',
    customer: { id: people.alice, name: 'Alice' },
  });
  const asStaff = await server.gql(query, {}, await server.as({ role: 'staff', sub: 'ada' }));
  expect(asStaff.data!.viewer).toEqual({ subject: 'ada', role: 'STAFF', customer: null });
  const anonymous = await server.gql(query, {}, { authorization: '' });
  expect(anonymous.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
});
