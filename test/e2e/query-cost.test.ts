import type { Client } from 'graphql-ws';
import { subscriptionStarts } from '../support/subscription-starts';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';

/**
 * The cost model as clients meet it (docs/api.md, "Query cost"): every query's and mutation's response carries its
 * cost and the limit in `extensions.cost`, over HTTP and graphql-ws; an ordinary page of orders with their items
 * and customers passes the default limits; and what bounds the items of orders pages instead of the cost,
 * ORDER_ITEMS_PER_RESPONSE, per response (a query's, or a subscription event's).
 */

type Transport = 'HTTP' | 'graphql-ws';

const ORDER_PAGE = `query ($first: Int, $after: String) {
  orders(first: $first, after: $after) {
    nodes { id status totalAmount itemCount version items { productId quantity unitPrice } customer { id name } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const REGISTER =
  'mutation ($n: String!) { registerCustomer(input: { name: $n, email: "c@example.com" }) { aggregateId } }';
const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }';

/** The whole response as sent: no helper takes `extensions.cost` out. */
async function raw(server: TestServer, transport: Transport, query: string, variables = {}): Promise<GraphQLResponse> {
  if (transport === 'HTTP') {
    const res = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await server.as({ role: 'admin' })) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResponse;
  }
  return new Promise((resolve, reject) => {
    let result: unknown;
    server
      .ws()
      .subscribe(
        { query, variables },
        { next: (r) => void (result = r), error: reject, complete: () => resolve(result as GraphQLResponse) },
      );
  });
}

async function customerWithOrders(server: TestServer, orders: number, itemsEach: number): Promise<string> {
  const registered = await server.gql(REGISTER, { n: `C${orders}x${itemsEach}` });
  const customerId: string = registered.data!.registerCustomer.aggregateId;
  const items = Array.from({ length: itemsEach }, (_, i) => ({ productId: `p${i}`, quantity: 1, unitPrice: '1.00' }));
  for (let i = 0; i < orders; i++) {
    const placed = await server.gql(PLACE, { input: { customerId, items } });
    expect(placed.errors).toBeUndefined();
  }
  return customerId;
}

type OrdersPage = { nodes: { id: string; items: unknown[] }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };

describe('with the default limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  describe.each<Transport>(['HTTP', 'graphql-ws'])('over %s', (transport) => {
    it('serves orders(first: 100) with items and customer, its cost 1,202 of 20,000 in extensions.cost', async () => {
      await customerWithOrders(server, 2, 3);
      const res = await raw(server, transport, ORDER_PAGE, { first: 100 });
      expect(res.errors).toBeUndefined();
      expect(res.data!.orders.nodes.length).toBeGreaterThanOrEqual(2);
      expect(res.extensions).toEqual({ cost: { requestedQueryCost: 1202, maxQueryCost: 20_000 } });
    });

    it('puts the cost in a mutation’s response too, and in a refusal’s over HTTP', async () => {
      const registered = await raw(server, transport, REGISTER, { n: 'Costly' });
      expect(registered.extensions).toEqual({ cost: { requestedQueryCost: 1, maxQueryCost: 20_000 } });
      if (transport === 'HTTP') {
        const refused = await raw(
          server,
          transport,
          '{ orders(first: 500) { nodes { customer { orders(first: 50) { nodes { id } } } } } }',
        );
        expect(refused.data).toBeUndefined();
        expect(refused.errors).toEqual([
          expect.objectContaining({
            extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 20_000, actual: 26_501 },
          }),
        ]);
        expect(refused.extensions).toEqual({ cost: { requestedQueryCost: 26_501, maxQueryCost: 20_000 } });
      }
    });
  });

  it('bounds a page of orders of 1,000 items each by ORDER_ITEMS_PER_RESPONSE, and paging on from it loses none', async () => {
    const customerId = await customerWithOrders(server, 11, 1000);
    const query = `query ($after: String) {
      customer(id: "${customerId}") { orders(first: 100, after: $after) { nodes { id items { productId } } pageInfo { hasNextPage endCursor } } }
    }`;
    const first = await server.gql(query);
    expect(first.errors).toBeUndefined();
    const page: OrdersPage = first.data!.customer.orders;
    // The order that spends the 10,000 items ends the page: 10 orders.
    expect(page.nodes.map((o) => o.items.length)).toEqual(Array(10).fill(1000));
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest: OrdersPage = (await server.gql(query, { after: page.pageInfo.endCursor })).data!.customer.orders;
    expect(rest.nodes).toHaveLength(1);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(new Set([...page.nodes, ...rest.nodes].map((o) => o.id)).size).toBe(11);

    // Backward, the page keeps the orders nearest `before` (its last ones) and says there are more before them.
    const backward = `query ($before: String) {
      customer(id: "${customerId}") { orders(last: 100, before: $before) { nodes { id } pageInfo { hasPreviousPage startCursor } } }
    }`;
    const last = (await server.gql(backward)).data!.customer.orders;
    expect(last.nodes.map((o: { id: string }) => o.id)).toEqual(
      [...page.nodes, ...rest.nodes].slice(1).map((o) => o.id),
    );
    expect(last.pageInfo.hasPreviousPage).toBe(true);
    const earliest = (await server.gql(backward, { before: last.pageInfo.startCursor })).data!.customer.orders;
    expect(earliest.nodes.map((o: { id: string }) => o.id)).toEqual([page.nodes[0]!.id]);
    expect(earliest.pageInfo.hasPreviousPage).toBe(false);
  }, 60_000);
});

describe('ORDER_ITEMS_PER_RESPONSE', () => {
  const starts = subscriptionStarts();
  let server: TestServer;
  let customerId: string;
  beforeAll(async () => {
    server = await startTestServer({ ORDER_ITEMS_PER_RESPONSE: '5' }, { schema: starts.schema });
    customerId = await customerWithOrders(server, 4, 3);
  });
  afterAll(() => server.close());

  const NESTED = `{
    orders(first: 10) {
      nodes { id customer { orders(first: 10) { nodes { id } pageInfo { hasNextPage endCursor } } } }
      pageInfo { hasNextPage }
    }
  }`;

  it('is one budget for every orders page of a response: nested pages read once it is spent hold no orders', async () => {
    const res = await server.gql(NESTED);
    expect(res.errors).toBeUndefined();
    // 3 + 3 items spend the 5: the outer page holds two orders, and their customer's pages nothing more.
    expect(res.data!.orders.nodes).toHaveLength(2);
    expect(res.data!.orders.pageInfo.hasNextPage).toBe(true);
    for (const order of res.data!.orders.nodes) {
      expect(order.customer.orders).toEqual({ nodes: [], pageInfo: { hasNextPage: true, endCursor: null } });
    }
    // Asked for on its own, such a page has a budget of its own.
    const own = await server.gql(`{ customer(id: "${customerId}") { orders(first: 10) { nodes { id } } } }`);
    expect(own.data!.customer.orders.nodes).toHaveLength(2);
  });

  it('gives each event of a subscription a budget of its own', async () => {
    const ws: Client = server.ws();
    const messages: GraphQLResponse[] = [];
    const before = starts.count('ordersChanged');
    let arrived: () => void = () => undefined;
    const two = new Promise<void>((resolve) => (arrived = resolve));
    const stop = ws.subscribe(
      {
        query: `subscription ($c: ID!) {
          ordersChanged(filter: { customerId: $c }) { id customer { orders(first: 10) { nodes { id } } } }
        }`,
        variables: { c: customerId },
      },
      {
        next: (message) => {
          messages.push(message as GraphQLResponse);
          if (messages.length === 2) arrived();
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await starts.until('ordersChanged', before + 1);
    const orders = (await server.gql(`{ orders(first: 2) { nodes { id } } }`)).data!.orders.nodes;
    for (const { id } of orders)
      await server.gql('mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }', { id });
    await two;
    stop();
    // Each event's customer page holds two orders (3 + 3 items spend 5): the second event's is not left empty.
    expect(messages.map((m) => m.data!.ordersChanged.customer.orders.nodes.length)).toEqual([2, 2]);
    // And no subscription event carries a cost: each would pay its bytes on the fan-out.
    expect(messages.map((m) => m.extensions)).toEqual([undefined, undefined]);
  });
});
