import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { gql, type ApolloClient } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { Client as UrqlClient, cacheExchange, fetchExchange } from '@urql/core';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { apolloClient } from '../../examples/clients/apollo';
import { urqlClient } from '../../examples/clients/urql';
import { SCHEMA_FILE } from '../../src/graphql/schema';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';

// The clients frontends use, configured as examples/clients does (and docs/api.md shows), against the real server:
// Apollo Client 4 with its InMemoryCache, urql with its defaults and with graphcache.

let server: TestServer;
let token: string;
const sockets: Client[] = [];
beforeAll(async () => {
  server = await startTestServer();
  token = await server.token({ role: 'admin' });
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.dispose()));
  await server.close();
});

const endpoint = () => `${server.app.url}/graphql`;

/** A graphql-ws client that reconnects (quickly: a test terminates its socket) and counts its connections. */
function socket(): Client & { connections: () => number } {
  let connections = 0;
  const client = createClient({
    url: endpoint().replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 5,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 50)),
    on: { connected: () => void connections++ },
  });
  sockets.push(client);
  return Object.assign(client, { connections: () => connections });
}

async function registerCustomer(name: string): Promise<string> {
  const res = await server.gql(
    `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`,
    { input: { name, email: `${randomUUID()}@example.com` } },
  );
  return res.data!.registerCustomer.aggregateId as string;
}

async function placeOrder(customerId: string, correlationId?: string): Promise<string> {
  const res = await server.gql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`, {
    input: { customerId, correlationId, items: [{ productId: 'p', quantity: 1, unitPrice: '2.50' }] },
  });
  return res.data!.placeOrder.aggregateId as string;
}

const PLACE_ORDER = gql`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      ... on CommandResult {
        aggregateId
        version
      }
      ... on OrderCommandResult {
        order {
          id
          status
          customer {
            id
            name
          }
        }
      }
    }
  }
`;

const NODE = gql`
  query Node($id: ID!) {
    node(id: $id) {
      id
      ... on Order {
        status
        itemCount
      }
      ... on Customer {
        name
      }
    }
  }
`;

const TRAIL = gql`
  query Trail($orderId: ID!) {
    orderHistory(orderId: $orderId) {
      id
      eventType
      ... on OrderPlaced {
        total {
          amount
          currencyCode
        }
      }
      ... on OrderPaid {
        amount {
          amount
        }
      }
    }
  }
`;

const EVENTS = gql`
  subscription Events($filter: EventFilter, $after: String) {
    events(filter: $filter, after: $after) {
      id
      eventType
      cursor
    }
  }
`;

const PLACED_LIST = gql`
  subscription PlacedList($filter: OrderFilter) {
    orderListChanged(filter: $filter) {
      change
      order {
        id
        status
        version
      }
    }
  }
`;

type ListChange = { change: 'ADDED' | 'UPDATED' | 'REMOVED'; order: { id: string; status: string } };

/**
 * A "to be paid" panel: one customer's PLACED orders, kept from `orderListChanged` alone through a new order and a
 * payment, then compared with what `orders(filter:)` answers.
 */
async function placedListKept(
  subscribe: (variables: Record<string, unknown>, onChange: (change: ListChange) => void) => () => void,
) {
  const customerId = await registerCustomer('Panel');
  const first = await placeOrder(customerId);
  const list = new Map<string, string>();
  const changes: string[] = [];
  const stop = subscribe({ filter: { customerId, status: 'PLACED' } }, ({ change, order }) => {
    changes.push(change);
    if (change === 'REMOVED') list.delete(order.id);
    else list.set(order.id, order.status);
  });
  try {
    await eventually(async () => expect([...list.keys()]).toEqual([first]));
    const second = await placeOrder(customerId);
    await eventually(async () => expect([...list.keys()]).toEqual([first, second]));
    await server.gql(`mutation($input: PayOrderInput!) { payOrder(input: $input) { aggregateId } }`, {
      input: { orderId: first },
    });
    await eventually(async () => expect([...list.keys()]).toEqual([second]));
    const query = await server.gql(`query($f: OrderFilter) { orders(filter: $f) { nodes { id status } } }`, {
      f: { customerId, status: 'PLACED' },
    });
    expect(query.data!.orders.nodes).toEqual([...list].map(([id, status]) => ({ id, status })));
    expect(changes).toEqual(['ADDED', 'ADDED', 'REMOVED']);
  } finally {
    stop();
  }
}

/**
 * Subscribes to the events of one correlation id from `after`, drops the socket once `before` events have arrived,
 * appends one more event while the client reconnects, and returns the event ids delivered once that one is in.
 */
async function eventsAcrossAReconnect(
  subscribe: (variables: Record<string, unknown>, onEvent: (id: string) => void) => () => void,
  ws: Client & { connections: () => number },
): Promise<{ delivered: string[]; logged: string[] }> {
  const correlationId = randomUUID();
  const customerId = await registerCustomer('Reconnecting');
  const first = await placeOrder(customerId, correlationId);
  await placeOrder(customerId, correlationId);
  const delivered: string[] = [];
  const stop = subscribe({ filter: { correlationId }, after: '0' }, (id) => delivered.push(id));
  try {
    await eventually(async () => expect(delivered).toHaveLength(2));
    ws.terminate();
    await eventually(async () => expect(ws.connections()).toBe(2));
    const last = await placeOrder(customerId, correlationId);
    const logged = await server.gql(`query($f: EventFilter) { events(filter: $f) { nodes { id aggregateId } } }`, {
      f: { correlationId },
    });
    const ids = logged.data!.events.nodes as { id: string; aggregateId: string }[];
    expect(ids.map((event) => event.aggregateId)).toEqual([first, expect.any(String), last]);
    await eventually(async () => expect(delivered).toContain(ids[2]!.id));
    return { delivered, logged: ids.map((event) => event.id) };
  } finally {
    stop();
  }
}

describe('Apollo Client 4', () => {
  let client: ApolloClient;
  let ws: ReturnType<typeof socket>;
  beforeAll(() => {
    ws = socket();
    client = apolloClient(endpoint(), token, ws);
  });

  it('sends a mutation and returns the fields of fragments on its interfaces (CommandResult, OrderCommandResult)', async () => {
    const customerId = await registerCustomer('Ada');
    const { data } = await client.mutate({
      mutation: PLACE_ORDER,
      variables: { input: { customerId, items: [{ productId: 'p', quantity: 2, unitPrice: '1.25' }] } },
    });
    const placed = (data as any).placeOrder;
    expect(placed).toMatchObject({
      __typename: expect.any(String),
      aggregateId: expect.any(String),
      version: 1,
      order: { id: placed.aggregateId, status: 'PLACED', customer: { id: customerId, name: 'Ada' } },
    });
  });

  it('queries node(id:) and returns the fragment on the object type it resolves to, from the network and the cache', async () => {
    const orderId = await placeOrder(await registerCustomer('Grace'));
    const fromNetwork = await client.query({ query: NODE, variables: { id: orderId }, fetchPolicy: 'network-only' });
    expect((fromNetwork.data as any).node).toEqual({
      __typename: 'Order',
      id: orderId,
      status: 'PLACED',
      itemCount: 1,
    });
    const fromCache = await client.query({ query: NODE, variables: { id: orderId }, fetchPolicy: 'cache-only' });
    expect(fromCache.data).toEqual(fromNetwork.data);
  });

  it('returns the fields of fragments on event types, from the network and the cache', async () => {
    const orderId = await placeOrder(await registerCustomer('Trail'));
    await server.gql(`mutation($input: PayOrderInput!) { payOrder(input: $input) { aggregateId } }`, {
      input: { orderId },
    });
    const fromNetwork = await client.query({ query: TRAIL, variables: { orderId }, fetchPolicy: 'network-only' });
    expect((fromNetwork.data as any).orderHistory).toEqual([
      {
        __typename: 'OrderPlaced',
        id: expect.any(String),
        eventType: 'OrderPlaced',
        total: { __typename: 'Money', amount: '2.50', currencyCode: 'EUR' },
      },
      {
        __typename: 'OrderPaid',
        id: expect.any(String),
        eventType: 'OrderPaid',
        amount: { __typename: 'Money', amount: '2.50' },
      },
    ]);
    const fromCache = await client.query({ query: TRAIL, variables: { orderId }, fetchPolicy: 'cache-only' });
    expect(fromCache.data).toEqual(fromNetwork.data);
  });

  it('resumes an events subscription after a reconnect from the last event delivered: none twice, none lost', async () => {
    const { delivered, logged } = await eventsAcrossAReconnect((variables, onEvent) => {
      const subscription = client
        .subscribe({ query: EVENTS, variables })
        .subscribe({ next: ({ data }) => onEvent((data as any).events.id) });
      return () => subscription.unsubscribe();
    }, ws);
    expect(delivered).toEqual(logged);
  });

  it('keeps a filtered live list exact through a new order and a payment', async () => {
    await placedListKept((variables, onChange) => {
      const subscription = client
        .subscribe({ query: PLACED_LIST, variables })
        .subscribe({ next: ({ data }) => onChange((data as any).orderListChanged) });
      return () => subscription.unsubscribe();
    });
  });

  it("with Apollo's own GraphQLWsLink instead, the reconnect re-sends the first `after` and repeats what came before it", async () => {
    const plainSocket = socket();
    const plain = apolloClient(endpoint(), token, plainSocket);
    plain.setLink(new GraphQLWsLink(plainSocket));
    const { delivered, logged } = await eventsAcrossAReconnect((variables, onEvent) => {
      const subscription = plain
        .subscribe({ query: EVENTS, variables })
        .subscribe({ next: ({ data }) => onEvent((data as any).events.id) });
      return () => subscription.unsubscribe();
    }, plainSocket);
    expect(delivered).toEqual([logged[0], logged[1], logged[0], logged[1], logged[2]]);
  });
});

describe('urql', () => {
  it('with its default options (queries as GET) answers queries and mutations', async () => {
    const methods: string[] = [];
    const client = new UrqlClient({
      url: endpoint(),
      exchanges: [cacheExchange, fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${token}` } },
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, init);
      },
    });
    const customerId = await registerCustomer('Lin');
    const placed = await client.mutation(PLACE_ORDER, {
      input: { customerId, items: [{ productId: 'p', quantity: 1, unitPrice: '3.00' }] },
    });
    expect(placed.error).toBeUndefined();
    const orderId = placed.data.placeOrder.aggregateId as string;
    const read = await client.query(NODE, { id: orderId }).toPromise();
    expect(read.error).toBeUndefined();
    expect(read.data.node).toMatchObject({ __typename: 'Order', id: orderId, status: 'PLACED' });
    expect(methods).toEqual(['POST', 'GET']);
  });

  describe('with graphcache given the schema', () => {
    let client: UrqlClient;
    let ws: ReturnType<typeof socket>;
    beforeAll(() => {
      ws = socket();
      client = urqlClient(endpoint(), token, ws, readFileSync(SCHEMA_FILE, 'utf8'));
    });

    it('returns the fields of fragments on interfaces, for a mutation and for node(id:)', async () => {
      const customerId = await registerCustomer('Hedy');
      const placed = await client.mutation(PLACE_ORDER, {
        input: { customerId, items: [{ productId: 'p', quantity: 3, unitPrice: '1.00' }] },
      });
      expect(placed.error).toBeUndefined();
      expect(placed.data.placeOrder.order).toMatchObject({ status: 'PLACED', customer: { id: customerId } });
      const read = await client.query(NODE, { id: placed.data.placeOrder.aggregateId }).toPromise();
      expect(read.error).toBeUndefined();
      expect(read.data.node).toEqual({ id: placed.data.placeOrder.aggregateId, status: 'PLACED', itemCount: 3 });
    });

    it('keeps a filtered live list exact through a new order and a payment', async () => {
      await placedListKept((variables, onChange) => {
        const { unsubscribe } = client.subscription(PLACED_LIST, variables).subscribe((result) => {
          if (result.data) onChange(result.data.orderListChanged);
        });
        return unsubscribe;
      });
    });

    it('resumes an events subscription after a reconnect from the last event delivered', async () => {
      const { delivered, logged } = await eventsAcrossAReconnect((variables, onEvent) => {
        const { unsubscribe } = client.subscription(EVENTS, variables).subscribe((result) => {
          if (result.data) onEvent(result.data.events.id);
        });
        return unsubscribe;
      }, ws);
      expect(delivered).toEqual(logged);
    });
  });
});
