import { randomUUID } from 'node:crypto';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';

// Relay-complete connections: PageInfo's four fields on every connection, totalCount on the order
// connections (exact, scoped to what the caller may see, in the page's snapshot), and node(id:) under the same
// ownership as order, customer and events.

let server: TestServer;
/** Every SQL statement sent through Prisma, and every read of the query tables, in order. */
let statements: string[] = [];
beforeAll(async () => {
  server = await startTestServer({}, { onQuery: (sql) => void statements.push(sql) });
});
afterAll(() => server.close());

type PageInfo = {
  startCursor: string | null;
  endCursor: string | null;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
};
type Page = { edges: { cursor: string; node: { id: string } }[]; pageInfo: PageInfo; totalCount?: number };

const PAGE = 'edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage }';

const ok = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  server.ok(query, variables, headers);

async function register(name: string): Promise<string> {
  const data = await ok(
    'mutation ($n: String!, $e: String!) { registerCustomer(input: { name: $n, email: $e }) { aggregateId } }',
    { n: name, e: `${name.toLowerCase()}@example.com` },
  );
  return data.registerCustomer.aggregateId;
}

async function place(customerId: string): Promise<string> {
  const data = await ok(
    'mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }',
    { c: customerId },
  );
  return data.placeOrder.aggregateId;
}

const pay = (orderId: string) =>
  ok('mutation ($id: ID!) { payOrder(input: { orderId: $id }) { version } }', { id: orderId });

/** Every page, following endCursor from the first page to the empty one past the last. */
async function pages(read: (after: string | null) => Promise<Page>): Promise<Page[]> {
  const all: Page[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await read(after);
    all.push(page);
    if (page.edges.length === 0) return all;
    after = page.pageInfo.endCursor;
  }
}

function expectCursorsFromEdges(page: Page) {
  expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
  expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
}

/** Alice has five orders (the 2nd and 4th paid), Bob two. */
let alice: string;
let bob: string;
let alices: string[];
let bobs: string[];
beforeAll(async () => {
  alice = await register('Alice');
  bob = await register('Bob');
  alices = [];
  for (let i = 0; i < 5; i++) alices.push(await place(alice));
  bobs = [await place(bob), await place(bob)];
  await pay(alices[1]!);
  await pay(alices[3]!);
});

const asAlice = () => server.as({ role: 'customer', customerId: alice, sub: 'alice' });

describe('pageInfo', () => {
  it('marks the pages of orders: start and end cursors, a previous page after the first, a next page before the last', async () => {
    const read = async (after: string | null) =>
      (
        await ok(
          `query ($c: ID!, $after: String) { orders(filter: { customerId: $c }, first: 2, after: $after) { ${PAGE} } }`,
          { c: alice, after },
        )
      ).orders as Page;
    const seen = await pages(read);
    expect(seen.map((p) => p.edges.map((e) => e.node.id))).toEqual([
      [alices[4], alices[3]],
      [alices[2], alices[1]],
      [alices[0]],
      [],
    ]);
    expect(seen.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual([
      [false, true],
      [true, true],
      [true, false],
      // After the last order: that order precedes the (empty) page.
      [true, false],
    ]);
    seen.forEach(expectCursorsFromEdges);
    expect(seen[3]!.pageInfo).toMatchObject({ startCursor: null, endCursor: null });
  });

  it("marks the pages of a customer's orders, by status too", async () => {
    const read = async (after: string | null) =>
      (
        await ok(
          `query ($c: ID!, $after: String) { customer(id: $c) { orders(status: PAID, first: 1, after: $after) { ${PAGE} } } }`,
          { c: alice, after },
        )
      ).customer.orders as Page;
    const seen = await pages(read);
    expect(seen.map((p) => p.edges.map((e) => e.node.id))).toEqual([[alices[3]], [alices[1]], []]);
    expect(seen.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual([
      [false, true],
      [true, false],
      [true, false],
    ]);
    seen.forEach(expectCursorsFromEdges);
  });

  it('has no previous page when `after` names an order the filter does not hold', async () => {
    // A PLACED order's cursor, read under status: PAID: the paid orders after it are there, but nothing says
    // (without a search backwards) whether any paid order comes before it.
    const placed = await ok(`query ($c: ID!) { orders(filter: { customerId: $c }, first: 1) { ${PAGE} } }`, {
      c: alice,
    });
    const cursor = placed.orders.edges[0].cursor;
    const page = (
      await ok(
        `query ($c: ID!, $after: String) { orders(filter: { customerId: $c, status: PAID }, after: $after) { ${PAGE} } }`,
        { c: alice, after: cursor },
      )
    ).orders as Page;
    expect(page.edges.map((e) => e.node.id)).toEqual([alices[3], alices[1]]);
    expect(page.pageInfo.hasPreviousPage).toBe(false);
  });

  it("never counts another customer's order as one before a customer's page", async () => {
    // Bob ordered after Alice: with his order's cursor as `after`, Alice's page holds her orders (all older), and
    // his order, which she may not see, is not one before them.
    const bobsPage = await ok(`query ($c: ID!) { orders(filter: { customerId: $c }, first: 1) { ${PAGE} } }`, {
      c: bob,
    });
    const page = (
      await ok(
        `query ($after: String) { orders(first: 2, after: $after) { ${PAGE} } }`,
        {
          after: bobsPage.orders.edges[0].cursor,
        },
        await asAlice(),
      )
    ).orders as Page;
    expect(page.edges.map((e) => e.node.id)).toEqual([alices[4], alices[3]]);
    expect(page.pageInfo.hasPreviousPage).toBe(false);
  });

  it('marks the pages of the log, and has no previous page after a position no matching event is at', async () => {
    const orderId = alices[1]!;
    const read = async (after: string | null) =>
      (
        await ok(
          `query ($id: ID, $after: String) { events(filter: { aggregateId: $id }, first: 1, after: $after) { ${PAGE} } }`,
          { id: orderId, after },
        )
      ).events as Page;
    // OrderPlaced and OrderPaid.
    const seen = await pages(read);
    expect(seen.map((p) => p.edges.length)).toEqual([1, 1, 0]);
    expect(seen.map((p) => [p.pageInfo.hasPreviousPage, p.pageInfo.hasNextPage])).toEqual([
      [false, true],
      [true, false],
      [true, false],
    ]);
    seen.forEach(expectCursorsFromEdges);

    // Position 0 holds no event; the first event of another aggregate does not match this filter.
    const other = await ok(`query ($id: ID) { events(filter: { aggregateId: $id }, first: 1) { ${PAGE} } }`, {
      id: alices[0],
    });
    for (const after of ['0', other.events.edges[0].cursor]) {
      const page = (
        await ok(
          `query ($id: ID, $after: String) { events(filter: { aggregateId: $id }, first: 5, after: $after) { ${PAGE} } }`,
          { id: orderId, after },
        )
      ).events as Page;
      expect(page.edges).toHaveLength(2);
      expect(page.pageInfo.hasPreviousPage).toBe(false);
    }
  });

  it("gives a customer no previous page after another customer's event", async () => {
    const bobsEvent = await ok(`query ($id: ID) { events(filter: { aggregateId: $id }, first: 1) { ${PAGE} } }`, {
      id: bobs[0],
    });
    const page = (
      await ok(
        `query ($after: String) { events(first: 1000, after: $after) { ${PAGE} } }`,
        {
          after: bobsEvent.events.edges[0].cursor,
        },
        await asAlice(),
      )
    ).events as Page;
    expect(page.pageInfo.hasPreviousPage).toBe(false);
    // Alice's events after Bob's first order: the two payments.
    expect(page.edges).toHaveLength(2);
  });
});

describe('totalCount', () => {
  const COUNT = `query ($filter: OrderFilter, $first: Int, $after: String) {
    orders(filter: $filter, first: $first, after: $after) { totalCount edges { cursor node { id } } }
  }`;
  const count = async (filter: Record<string, unknown> | null, headers?: Record<string, string>, first = 500) =>
    (await ok(COUNT, { filter, first }, headers)).orders as Page;

  it('counts every order the filter matches, whatever the page', async () => {
    const all = await count(null);
    expect(all.totalCount).toBe(all.edges.length);
    const statusCounts = (await ok('{ orderStatusCounts { status count } }')).orderStatusCounts as {
      status: string;
      count: number;
    }[];
    for (const { status, count: n } of statusCounts) {
      const page = await count({ status });
      expect({ status, totalCount: page.totalCount, rows: page.edges.length }).toEqual({
        status,
        totalCount: n,
        rows: n,
      });
    }
    expect(await count({ customerId: alice }, undefined, 1)).toMatchObject({ totalCount: 5 });
    expect(await count({ customerId: alice, status: 'PAID' }, undefined, 0)).toEqual({ totalCount: 2, edges: [] });
    expect(await count({ customerId: bob, status: 'PAID' })).toMatchObject({ totalCount: 0 });
    expect(await count({ customerId: randomUUID() })).toEqual({ totalCount: 0, edges: [] });
    // The total of the connection, not what is left after the cursor.
    const later = (await ok(COUNT, { filter: { customerId: alice }, first: 2, after: all.edges[1]!.cursor })).orders;
    expect(later.totalCount).toBe(5);
  });

  it('counts for a customer only their own orders, whatever the filter says', async () => {
    const headers = await asAlice();
    expect(await count(null, headers, 1)).toMatchObject({ totalCount: 5 });
    expect(await count({ status: 'PAID' }, headers, 1)).toMatchObject({ totalCount: 2 });
    expect(await count({ customerId: alice }, headers, 1)).toMatchObject({ totalCount: 5 });
    expect(await count({ customerId: bob }, headers)).toEqual({ totalCount: 0, edges: [] });
    const own = await ok(
      'query ($c: ID!) { customer(id: $c) { orders(first: 1) { totalCount } paid: orders(status: PAID, first: 1) { totalCount } } }',
      { c: alice },
      headers,
    );
    expect(own.customer).toEqual({ orders: { totalCount: 5 }, paid: { totalCount: 2 } });
  });

  it("counts in a mutation's answer the order it just placed (read-your-writes)", async () => {
    const customerId = await register('Counter');
    await place(customerId);
    const placed = await ok(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "q", quantity: 1, unitPrice: "2.00" }] }) {
         aggregateId order { customer { orders(first: 1) { totalCount nodes { id } } } } } }`,
      { c: customerId },
    );
    expect(placed.placeOrder.order.customer.orders).toEqual({
      totalCount: 2,
      nodes: [{ id: placed.placeOrder.aggregateId }],
    });
  });

  it('is read only when the operation selects it, through fragments and directives too', async () => {
    // Prisma's count of orders, or its sum of the status counts (the projectors' lag reports count events).
    const counts = () => statements.filter((s) => /order_status_counts|COUNT\(.*"orders"/s.test(s)).length;
    const read = async (query: string, variables: Record<string, unknown> = {}) => {
      statements = [];
      await ok(query, variables);
      return counts();
    };
    expect(await read('{ orders(first: 1) { nodes { id } } }')).toBe(0);
    expect(
      await read('query ($c: Boolean!) { orders(first: 1) { nodes { id } totalCount @include(if: $c) } }', {
        c: false,
      }),
    ).toBe(0);
    expect(await read('{ orders(first: 1) { totalCount } }')).toBe(1);
    expect(
      await read('{ orders(first: 1) { ...Counted } } fragment Counted on OrderConnection { n: totalCount }'),
    ).toBe(1);
  });

  it('reads the count in the snapshot the page is read in, whatever commits between the two reads', async () => {
    // An order committed while the query runs (its row and its status count in one transaction, as the projector
    // writes them), held back until the query is waiting on the status counts: read apart from the page, in a
    // snapshot of its own, the count would then include an order the page had been read without.
    const fake = { id: randomUUID(), position: '4611686018427387904' };
    const writer = await server.sql.connect();
    let committed = false;
    try {
      await writer.query('BEGIN');
      await writer.query('LOCK TABLE order_status_counts IN ACCESS EXCLUSIVE MODE');
      await writer.query(
        `INSERT INTO orders (id, customer_id, status, items, item_count, total_amount, currency, version,
           placed_position, created_at, updated_at) VALUES ($1, $2, 'PLACED', '[]', 0, 0, 'EUR', 1, $3, now(), now())`,
        [fake.id, randomUUID(), fake.position],
      );
      await writer.query(`UPDATE order_status_counts SET count = count + 1 WHERE status = 'PLACED'`);
      const reading = server.gql('{ orders(first: 500) { totalCount nodes { id } } }');
      await eventually(async () => {
        const { rows } = await server.sql.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE '%order_status_counts%'`,
        );
        expect(rows).toHaveLength(1);
      });
      await writer.query('COMMIT');
      committed = true;
      const res = await reading;
      expect(res.errors).toBeUndefined();
      // One snapshot: the page and the count both show that order, or neither does.
      expect(res.data!.orders.totalCount).toBe(res.data!.orders.nodes.length);
    } finally {
      if (!committed) await writer.query('ROLLBACK');
      writer.release();
      if (committed) {
        await server.sql.query('DELETE FROM orders WHERE id = $1', [fake.id]);
        await server.sql.query(`UPDATE order_status_counts SET count = count - 1 WHERE status = 'PLACED'`);
      }
    }
  });
});

describe('node(id:)', () => {
  const NODE = `query ($id: ID!) { node(id: $id) {
    __typename id
    ... on Order { customerId status }
    ... on Customer { name }
    ... on Event { eventType aggregateId }
  } }`;
  const node = async (id: string, headers?: Record<string, string>) => (await ok(NODE, { id }, headers)).node;
  /** The reads by id of the orders, customers and events tables since `statements` was cleared. */
  const lookupReads = () =>
    [/FROM "orders" WHERE id = ANY/, /FROM "customers" WHERE id = ANY/, /WHERE event_id = ANY/].map(
      (lookup) => statements.filter((s) => lookup.test(s)).length,
    );
  const firstEvent = async (aggregateId: string) =>
    (
      await ok('query ($id: ID) { events(filter: { aggregateId: $id }, first: 1) { nodes { id } } }', {
        id: aggregateId,
      })
    ).events.nodes[0].id as string;

  it('finds an order, a customer and an event by their ids', async () => {
    expect(await node(alices[1]!)).toEqual({ __typename: 'Order', id: alices[1], customerId: alice, status: 'PAID' });
    expect(await node(alice)).toEqual({ __typename: 'Customer', id: alice, name: 'Alice' });
    const eventId = await firstEvent(alices[1]!);
    expect(await node(eventId)).toEqual({
      __typename: 'OrderPlaced',
      id: eventId,
      eventType: 'OrderPlaced',
      aggregateId: alices[1],
    });
  });

  it('is null for an id nothing has, a UUID or not', async () => {
    expect(await node(randomUUID())).toBeNull();
    expect(await node('no-such-id')).toBeNull();
  });

  it("is null for a customer asking for another customer's order, customer or event, as for an unknown id", async () => {
    const headers = await asAlice();
    expect(await node(bobs[0]!, headers)).toBeNull();
    expect(await node(bob, headers)).toBeNull();
    expect(await node(await firstEvent(bobs[0]!), headers)).toBeNull();
    expect(await node(alices[0]!, headers)).toMatchObject({ __typename: 'Order', id: alices[0] });
    expect(await node(alice, headers)).toMatchObject({ __typename: 'Customer', id: alice });
    expect(await node(await firstEvent(alices[0]!), headers)).toMatchObject({ __typename: 'OrderPlaced' });
  });

  it('nodes(ids:) answers each id in its place as node(id:) would, in one read per table', async () => {
    const eventId = await firstEvent(alices[0]!);
    const ids = [alices[0]!, 'no-such-id', alice, eventId, bobs[0]!];
    statements = [];
    const { nodes } = await ok('query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }', { ids });
    expect(nodes).toEqual([
      { __typename: 'Order', id: alices[0] },
      null,
      { __typename: 'Customer', id: alice },
      { __typename: 'OrderPlaced', id: eventId },
      { __typename: 'Order', id: bobs[0] },
    ]);
    expect(lookupReads()).toEqual([1, 1, 1]);
    // A customer gets null for another customer's objects, in their place.
    const mine = await ok('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids }, await asAlice());
    expect(mine.nodes.map((n: { id: string } | null) => n?.id ?? null)).toEqual([
      alices[0],
      null,
      alice,
      eventId,
      null,
    ]);
  });

  it('nodes(ids:) takes at most 100 ids', async () => {
    const res = await server.gql('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: Array.from({ length: 101 }, () => randomUUID()),
    });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
  });

  it('finds the nodes of one operation with one read per table', async () => {
    const eventIds = await Promise.all([firstEvent(alices[0]!), firstEvent(alices[2]!)]);
    statements = [];
    const many = await ok(
      `query ($o1: ID!, $o2: ID!, $c: ID!, $e1: ID!, $e2: ID!) {
         o1: node(id: $o1) { id } o2: node(id: $o2) { id } c: node(id: $c) { id }
         e1: node(id: $e1) { id } e2: node(id: $e2) { id } }`,
      { o1: alices[0], o2: bobs[0], c: bob, e1: eventIds[0], e2: eventIds[1] },
    );
    expect(Object.values(many).map((n: any) => n.id)).toEqual([alices[0], bobs[0], bob, ...eventIds]);
    // The lookups by id (the tailer and the projectors read the log meanwhile, by position).
    expect(lookupReads()).toEqual([1, 1, 1]);
  });
});
