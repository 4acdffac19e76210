import { getIntrospectionQuery } from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import { startTestServer, wsRequest, type GraphQLResponse, type TestServer } from '../support/server';

/**
 * Query limits (docs/api.md, "Limits"): depth, cost, aliases and tokens, each refused before execution with
 * QUERY_TOO_COMPLEX and `extensions.limit`, over HTTP and graphql-ws alike; known attacks among them,
 * and what the project's own clients send passing with every limit at its default.
 */

type Transport = 'HTTP' | 'graphql-ws';
type FormattedError = NonNullable<GraphQLResponse['errors']>[number];

let server: TestServer;
let client: WsClient;

/** The operation's outcome as the client sees it: the response, or the errors a refused subscribe ended with. */
async function send(
  transport: Transport,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse> {
  if (transport === 'HTTP') return server.gql(query, variables);
  return wsRequest(client, query, variables).catch((errors: FormattedError[]) => ({ errors }));
}

/** What a refusal by one limit looks like: no data at all (nothing ran), one error naming the limit. */
function refusedBy(limit: 'depth' | 'cost' | 'aliases' | 'tokens', details: Record<string, unknown> = {}) {
  return {
    errors: [expect.objectContaining({ extensions: { code: 'QUERY_TOO_COMPLEX', limit, ...details } })],
  };
}

/** `customer { orders { nodes { customer { … { id } } } } }`: `levels` hops of customer → orders. */
function hops(levels: number, first?: number): string {
  let inner = 'id';
  const args = first === undefined ? '' : `(first: ${first})`;
  for (let i = 0; i < levels; i++) inner = `customer { orders${args} { nodes { ${inner} } } }`;
  return inner;
}
const nested = (levels: number, first?: number) => `query ($id: ID!) { order(id: $id) { ${hops(levels, first)} } }`;

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`;
const PLACE = `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`;
const REGISTERED = `{ events(first: 1000, filter: { eventTypes: [CustomerRegistered] }) { nodes { eventId } } }`;

/** An order page of a UI: the order with its items and history, its customer with their recent orders. */
const ORDER_PAGE = `query OrderPage($id: ID!) {
  order(id: $id) {
    id status totalAmount itemCount createdAt updatedAt
    items { productId quantity unitPrice lineTotal }
    customer {
      id name email orderCount lifetimeTotal
      orders(first: 10) {
        nodes { id status totalAmount createdAt items { productId quantity } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
  orderHistory(orderId: $id) { eventType version timestamp payload metadata { correlationId userId } }
}`;

let orderId: string;

beforeAll(async () => {
  server = await startTestServer();
  client = server.ws();
  const registered = await server.gql(REGISTER, { input: { name: 'Grace', email: 'grace@example.com' } });
  const customerId = registered.data!.registerCustomer.aggregateId;
  const items = [
    { productId: 'book', quantity: 2, unitPrice: '29.99' },
    { productId: 'pen', quantity: 1, unitPrice: '1.50' },
  ];
  const placed = await server.gql(PLACE, { input: { customerId, items } });
  orderId = placed.data!.placeOrder.aggregateId;
});
afterAll(() => server.close());

describe.each<Transport>(['HTTP', 'graphql-ws'])('known query attacks over %s', (transport) => {
  it('refuses 100 aliases of events(first: 1000) for its aliases', async () => {
    const query = aliases(
      100,
      'events(first: 1000) { nodes { eventId eventType aggregateId payload metadata { correlationId } } }',
    );
    expect(await send(transport, query)).toEqual(refusedBy('aliases', { max: 20, actual: 100 }));
  });

  it('refuses 300 aliases of orders(first: 500) for its aliases', async () => {
    const query = aliases(300, 'orders(first: 500) { nodes { id status totalAmount } }');
    expect(await send(transport, query)).toEqual(refusedBy('aliases', { max: 20, actual: 300 }));
  });

  it('refuses order { customer { orders { nodes { customer { … } } } } } nested 200 deep for its depth', async () => {
    expect(await send(transport, nested(200), { id: orderId })).toEqual(refusedBy('depth', { max: 20, actual: 602 }));
  });

  it('refuses 4 levels of that nesting with first: 20 for its cost (20⁴ orders)', async () => {
    expect(await send(transport, nested(4, 20), { id: orderId })).toEqual(
      refusedBy('cost', { max: 20_000, actual: 185_263 }),
    );
  });

  it('refuses a document of more than 5,000 tokens while parsing it', async () => {
    const query = `{ ${'__typename '.repeat(50_000)} }`;
    expect(await send(transport, query)).toEqual(refusedBy('tokens', { max: 5000 }));
  });
});

describe.each<Transport>(['HTTP', 'graphql-ws'])('limits over %s', (transport) => {
  it('counts `first` from the variables: the same document passes with a small page and is refused with a large one', async () => {
    const query = `query ($n: Int!) {
      orders(first: $n) { nodes { id customer { orders(first: $n) { nodes { id items { productId } } } } } }
    }`;
    expect(await send(transport, query, { n: 2 })).toEqual({ data: { orders: { nodes: [expect.anything()] } } });
    expect(await send(transport, query, { n: 50 })).toEqual(refusedBy('cost', { max: 20_000, actual: 27_651 }));
  });

  it('refuses a mutation over a limit before it runs: nothing is appended', async () => {
    const before = (await server.gql(REGISTERED)).data!.events.nodes.length;
    const mutation = `mutation { ${Array.from(
      { length: 21 },
      (_, i) => `r${i}: registerCustomer(input: { name: "R${i}", email: "r${i}@example.com" }) { aggregateId }`,
    ).join(' ')} }`;
    expect(await send(transport, mutation)).toEqual(refusedBy('aliases', { max: 20, actual: 21 }));
    expect((await server.gql(REGISTERED)).data!.events.nodes).toHaveLength(before);
  });

  it('lets the introspection query GraphiQL sends through, and the one with every option', async () => {
    for (const query of [
      getIntrospectionQuery({ inputValueDeprecation: true }),
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      }),
    ]) {
      const res = await send(transport, query);
      expect(res.errors).toBeUndefined();
      expect(res.data!.__schema.types.length).toBeGreaterThan(20);
    }
  });

  it('lets a realistic deep UI query through: an order with its items, history and customer’s recent orders', async () => {
    const res = await send(transport, ORDER_PAGE, { id: orderId });
    expect(res.errors).toBeUndefined();
    expect(res.data!.order.items).toHaveLength(2);
    expect(res.data!.order.customer.orders.nodes[0].items).toHaveLength(2);
    expect(res.data!.orderHistory).toHaveLength(1);
  });
});

describe('subscriptions over graphql-ws', () => {
  it('refuses a subscription over a limit as its own error, and the socket goes on serving', async () => {
    const deep = `subscription ($id: ID!) { orderChanged(orderId: $id) { ${hops(7)} } }`;
    expect(await send('graphql-ws', deep, { id: orderId })).toEqual(refusedBy('depth', { max: 20, actual: 23 }));
    const costly = `subscription { ordersChanged { customer { orders(first: 500) { nodes { customer { orders(first: 500) { nodes { id } } } } } } } }`;
    expect(await send('graphql-ws', costly)).toEqual(refusedBy('cost', { max: 20_000, actual: expect.any(Number) }));
    expect(await send('graphql-ws', `{ order(id: "${orderId}") { id } }`)).toEqual({
      data: { order: { id: orderId } },
    });
  });
});

describe('configured limits', () => {
  let small: TestServer;
  beforeAll(async () => {
    small = await startTestServer({
      QUERY_MAX_DEPTH: '3',
      QUERY_MAX_COST: '100',
      QUERY_MAX_ALIASES: '1',
      QUERY_MAX_TOKENS: '40',
    });
  });
  afterAll(() => small.close());

  it('refuses at each configured maximum, over HTTP and graphql-ws', async () => {
    const ws = small.ws();
    const cases: [string, ReturnType<typeof refusedBy>][] = [
      ['{ orders { nodes { customer { name } } } }', refusedBy('depth', { max: 3, actual: 4 })],
      ['{ orders(first: 100) { nodes { id } } }', refusedBy('cost', { max: 100, actual: 101 })],
      [
        '{ a: orderStatusCounts { count } b: orderStatusCounts { count } }',
        refusedBy('aliases', { max: 1, actual: 2 }),
      ],
      [`{ ${'__typename '.repeat(41)} }`, refusedBy('tokens', { max: 40 })],
    ];
    for (const [query, refusal] of cases) {
      expect(await small.gql(query)).toEqual(refusal);
      expect(await wsRequest(ws, query).catch((errors: FormattedError[]) => ({ errors }))).toEqual(refusal);
    }
    expect(await small.gql('{ orders(first: 99) { nodes { id } } }')).toEqual({ data: { orders: { nodes: [] } } });
  });
});
