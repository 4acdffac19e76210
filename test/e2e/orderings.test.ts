import { caughtUp } from '../support/read-model';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';

// The lists a frontend pages through: `orders` (and Customer.orders) in every ordering, both ways, with the
// statuses and dates filters; `customers` with its filters, search and orderings. Every walk is checked against
// the same rows sorted here, by (key, id), with ties on every key.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

type PageInfo = {
  startCursor: string | null;
  endCursor: string | null;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
};
type Page<N> = { edges: { cursor: string; node: N }[]; pageInfo: PageInfo; totalCount: number };
type OrderRow = { id: string; status: string; totalAmount: string; createdAt: string; updatedAt: string };
type CustomerRow = { id: string; name: string; email: string; active: boolean; registeredAt: string };

const PAGE_INFO = 'pageInfo { startCursor endCursor hasNextPage hasPreviousPage } totalCount';
const ORDER_PAGE = `edges { cursor node { id status totalAmount createdAt updatedAt } } ${PAGE_INFO}`;
const CUSTOMER_PAGE = `edges { cursor node { id name email active registeredAt } } ${PAGE_INFO}`;

const ok = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
  server.ok(query, variables, headers);

function refusal(res: GraphQLResponse) {
  return { code: res.errors?.[0]?.extensions?.code, field: res.errors?.[0]?.extensions?.field };
}

/**
 * Every page of a list, walked forward (`first`, following endCursor) or backward (`last`, following
 * startCursor), as the list's items in list order. Checks each page's PageInfo on the way.
 */
async function walk<N extends { id: string }>(
  read: (args: Record<string, unknown>) => Promise<Page<N>>,
  backward: boolean,
  size: number,
): Promise<N[]> {
  const pages: Page<N>[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await read(
      backward
        ? { last: size, ...(cursor ? { before: cursor } : {}) }
        : { first: size, ...(cursor ? { after: cursor } : {}) },
    );
    pages.push(page);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    const came = backward ? page.pageInfo.hasNextPage : page.pageInfo.hasPreviousPage;
    // The cursor the page started from is an item still in the list: it precedes (forward) or follows the page.
    expect(came).toBe(cursor !== null);
    if (!more) break;
    expect(page.edges).toHaveLength(size);
    cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
  }
  const nodes = (backward ? pages.reverse() : pages).flatMap((p) => p.edges.map((e) => e.node));
  expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
  return nodes;
}

/** `rows` sorted by `key` then id, as the server sorts them (ids are lowercase UUIDs: the same in any collation). */
function sorted<R extends { id: string }>(rows: readonly R[], key: (row: R) => number | string, descending: boolean) {
  const compare = (a: R, b: R) => {
    const [ka, kb] = [key(a), key(b)];
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
  const ascending = [...rows].sort(compare);
  return descending ? ascending.reverse() : ascending;
}

async function register(name: string, email: string): Promise<string> {
  const data = await ok(
    'mutation ($n: String!, $e: String!) { registerCustomer(input: { name: $n, email: $e }) { aggregateId } }',
    { n: name, e: email },
  );
  return data.registerCustomer.aggregateId;
}

async function place(customerId: string, unitPrice: string): Promise<string> {
  const data = await ok(
    'mutation ($c: ID!, $p: Decimal!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: $p }] }) { aggregateId } }',
    { c: customerId, p: unitPrice },
  );
  return data.placeOrder.aggregateId;
}

const command = (name: 'payOrder' | 'cancelOrder', orderId: string) =>
  ok(`mutation ($id: ID!) { ${name}(input: { orderId: $id }) { version } }`, { id: orderId });

/** Alice: nine orders (totals with ties, some paid, one cancelled); Bob: three. Placed one after another. */
let alice: string;
let bob: string;
let placed: string[];
let rows: OrderRow[];
beforeAll(async () => {
  alice = await register('Alice Martin', 'alice@example.com');
  bob = await register('Bob Stone', 'bob@example.com');
  placed = [];
  for (const price of ['5.00', '1.00', '5.00', '12.00', '5.00', '3.50', '1.00', '20.00', '5.00']) {
    placed.push(await place(alice, price));
  }
  for (const price of ['5.00', '7.00', '1.00']) placed.push(await place(bob, price));
  for (const i of [1, 3, 4, 10]) await command('payOrder', placed[i]!);
  await command('cancelOrder', placed[6]!);
  await caughtUp(server);
  // Ties on updatedAt: commands a millisecond apart cannot be relied on to collide, so four rows are made to.
  await server.sql.query(
    `UPDATE orders SET updated_at = (SELECT max(updated_at) FROM orders) + interval '1 second' WHERE id = ANY($1)`,
    [[placed[0], placed[2], placed[5], placed[11]]],
  );
  const all = await ok(`{ orders(first: 500) { ${ORDER_PAGE} } }`);
  rows = all.orders.edges.map((e: { node: OrderRow }) => e.node);
  expect(rows).toHaveLength(12);
  expect(new Set(rows.map((r) => r.updatedAt)).size).toBe(9);
});

const readOrders =
  (variables: Record<string, unknown>, headers?: Record<string, string>) => async (args: Record<string, unknown>) =>
    (
      await ok(
        `query ($filter: OrderFilter, $orderBy: OrderOrder, $first: Int, $after: String, $last: Int, $before: String) {
          orders(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) { ${ORDER_PAGE} }
        }`,
        { ...variables, ...args },
        headers,
      )
    ).orders as Page<OrderRow>;

const KEYS: Record<string, (row: OrderRow) => number | string> = {
  PLACED_AT: (row) => placed.indexOf(row.id),
  UPDATED_AT: (row) => Date.parse(row.updatedAt),
  TOTAL: (row) => Number(row.totalAmount),
};

describe('orders', () => {
  it.each(['PLACED_AT', 'UPDATED_AT', 'TOTAL'].flatMap((field) => [[field, 'ASC'] as const, [field, 'DESC'] as const]))(
    'pages by %s %s forward and backward across pages, ties included, none lost or repeated',
    async (field, direction) => {
      const expected = sorted(rows, KEYS[field]!, direction === 'DESC').map((r) => r.id);
      const read = readOrders({ orderBy: { field, direction } });
      for (const size of [1, 5]) {
        expect((await walk(read, false, size)).map((n) => n.id)).toEqual(expected);
        expect((await walk(read, true, size)).map((n) => n.id)).toEqual(expected);
      }
    },
  );

  it('sorts newest placed first without orderBy, as before', async () => {
    expect((await walk(readOrders({}), false, 5)).map((n) => n.id)).toEqual([...placed].reverse());
  });

  it("pages a customer's orders, in Query.orders and Customer.orders alike, by TOTAL with ties", async () => {
    const alices = rows.filter((r) => placed.indexOf(r.id) < 9);
    const expected = sorted(alices, KEYS.TOTAL!, false).map((r) => r.id);
    const viaFilter = readOrders({ filter: { customerId: alice }, orderBy: { field: 'TOTAL', direction: 'ASC' } });
    expect((await walk(viaFilter, true, 2)).map((n) => n.id)).toEqual(expected);
    const viaCustomer = async (args: Record<string, unknown>) =>
      (
        await ok(
          `query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
            customer(id: $id) { orders(orderBy: { field: TOTAL, direction: ASC }, first: $first, after: $after, last: $last, before: $before) { ${ORDER_PAGE} } }
          }`,
          { id: alice, ...args },
        )
      ).customer.orders as Page<OrderRow>;
    expect((await walk(viaCustomer, false, 2)).map((n) => n.id)).toEqual(expected);
    expect((await walk(viaCustomer, true, 4)).map((n) => n.id)).toEqual(expected);
  });

  it('filters by statuses (with status, both hold) and counts them', async () => {
    const of = (...statuses: string[]) => rows.filter((r) => statuses.includes(r.status)).map((r) => r.id);
    const page = async (filter: object) => (await readOrders({ filter })({ first: 100 })) as Page<OrderRow>;
    const paidOrCancelled = await page({ statuses: ['PAID', 'CANCELLED'] });
    expect(paidOrCancelled.edges.map((e) => e.node.id).sort()).toEqual(of('PAID', 'CANCELLED').sort());
    expect(paidOrCancelled.totalCount).toBe(5);
    const both = await page({ status: 'PAID', statuses: ['PAID', 'CANCELLED'] });
    expect(both.edges.map((e) => e.node.id).sort()).toEqual(of('PAID').sort());
    expect(both.totalCount).toBe(4);
    expect(await page({ statuses: [] })).toMatchObject({ edges: [], totalCount: 0 });
    const bobsPlaced = await page({ customerId: bob, statuses: ['PLACED', 'SHIPPED'] });
    expect(bobsPlaced.edges.map((e) => e.node.id).sort()).toEqual([placed[9], placed[11]].sort());
    expect(bobsPlaced.totalCount).toBe(2);
  });

  it('filters by when orders were placed: placedAfter inclusive, placedBefore exclusive, counted', async () => {
    const times = rows.map((r) => Date.parse(r.createdAt)).sort((a, b) => a - b);
    const [from, to] = [times[3]!, times[9]!];
    const expected = rows.filter((r) => Date.parse(r.createdAt) >= from && Date.parse(r.createdAt) < to);
    const read = readOrders({
      filter: { placedAfter: new Date(from).toISOString(), placedBefore: new Date(to).toISOString() },
      orderBy: { field: 'TOTAL', direction: 'DESC' },
    });
    const walked = await walk(read, false, 2);
    expect(walked.map((n) => n.id)).toEqual(sorted(expected, KEYS.TOTAL!, true).map((r) => r.id));
    expect((await read({ first: 1 })).totalCount).toBe(expected.length);
    const alices = readOrders({ filter: { customerId: alice, placedAfter: new Date(from).toISOString() } });
    const mine = rows.filter((r) => placed.indexOf(r.id) < 9 && Date.parse(r.createdAt) >= from);
    expect((await alices({ first: 1 })).totalCount).toBe(mine.length);
  });

  it('shows a customer only their own orders, whatever the filter, ordering or direction', async () => {
    const asAlice = await server.as({ role: 'customer', customerId: alice, sub: 'alice' });
    const mine = rows.filter((r) => placed.indexOf(r.id) < 9);
    const read = readOrders({ orderBy: { field: 'UPDATED_AT', direction: 'ASC' } }, asAlice);
    expect((await walk(read, true, 4)).map((n) => n.id)).toEqual(
      sorted(mine, KEYS.UPDATED_AT!, false).map((r) => r.id),
    );
    const bobs = readOrders({ filter: { customerId: bob, statuses: ['PLACED', 'PAID'] } }, asAlice);
    expect(await bobs({ last: 10 })).toMatchObject({ edges: [], totalCount: 0 });
    const dated = readOrders({ filter: { placedAfter: '2000-01-01T00:00:00Z' } }, asAlice);
    expect((await dated({ first: 100 })).totalCount).toBe(mine.length);
  });

  it('refuses first with last, a cursor of the other way or of another ordering, and a cursor it never issued', async () => {
    const query = `query ($orderBy: OrderOrder, $first: Int, $after: String, $last: Int, $before: String) {
      orders(orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) { nodes { id } }
    }`;
    const byTotal = { field: 'TOTAL', direction: 'ASC' };
    const totalCursor = (await readOrders({ orderBy: byTotal })({ first: 1 })).pageInfo.endCursor;
    const placedCursor = (await readOrders({})({ first: 1 })).pageInfo.endCursor;
    const cases: [Record<string, unknown>, string][] = [
      [{ first: 1, last: 1 }, 'last'],
      [{ first: 1, before: placedCursor }, 'before'],
      [{ last: 1, after: placedCursor }, 'after'],
      [{ after: totalCursor }, 'after'],
      [{ orderBy: { field: 'UPDATED_AT', direction: 'ASC' }, before: totalCursor }, 'before'],
      [{ orderBy: byTotal, after: placedCursor }, 'after'],
      [{ orderBy: byTotal, after: Buffer.from('k:["orders.TOTAL","1e9","x"]').toString('base64url') }, 'after'],
      [{ last: 501 }, 'last'],
    ];
    for (const [variables, field] of cases) {
      expect(refusal(await server.gql(query, variables))).toEqual({ code: 'BAD_USER_INPUT', field });
    }
    // The same cursor in the opposite direction of its own ordering is a place in it: the items on its other side.
    const back = await server.gql(query, { orderBy: { ...byTotal, direction: 'DESC' }, after: totalCursor });
    expect(back.errors).toBeUndefined();
  });
});

describe('customers', () => {
  let people: Record<string, string>;
  let all: CustomerRow[];
  beforeAll(async () => {
    people = {};
    for (const [key, name, email] of [
      ['ann', 'Ann Lee', 'ann.lee@example.com'],
      ['joanna', 'Joanna Smith', 'jo@example.org'],
      ['carl1', 'Carl Dean', 'carl@example.com'],
      ['carl2', 'Carl Dean', 'carl.dean@example.net'],
      ['dora', 'Dora 100% Real_Name', 'dora@example.com'],
      ['eve', 'Eve Hall', 'eve@joanna.example'],
    ] as const) {
      people[key] = await register(name, email);
    }
    await ok('mutation ($id: ID!) { deactivateCustomer(input: { customerId: $id }) { version } }', {
      id: people.carl2,
    });
    await caughtUp(server);
    // Ties on registeredAt, as on updatedAt above.
    await server.sql.query(
      `UPDATE customers SET registered_at = (SELECT max(registered_at) FROM customers) WHERE id = ANY($1)`,
      [[people.ann, people.carl1, people.eve]],
    );
    all = (await ok(`{ customers(first: 500) { ${CUSTOMER_PAGE} } }`)).customers.edges.map(
      (e: { node: CustomerRow }) => e.node,
    );
    expect(all).toHaveLength(8);
    expect(new Set(all.map((c) => c.registeredAt)).size).toBe(6);
    expect(new Set(all.map((c) => c.name)).size).toBe(7);
  });

  const readCustomers = (variables: Record<string, unknown>) => async (args: Record<string, unknown>) =>
    (
      await ok(
        `query ($filter: CustomerFilter, $orderBy: CustomerOrder, $first: Int, $after: String, $last: Int, $before: String) {
          customers(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) { ${CUSTOMER_PAGE} }
        }`,
        { ...variables, ...args },
      )
    ).customers as Page<CustomerRow>;

  const CUSTOMER_KEYS: Record<string, (row: CustomerRow) => number | string> = {
    REGISTERED_AT: (row) => Date.parse(row.registeredAt),
    // The names here sort alike in every collation: capitalised words of letters, apart from one.
    NAME: (row) => row.name,
  };

  it.each(['REGISTERED_AT', 'NAME'].flatMap((field) => [[field, 'ASC'] as const, [field, 'DESC'] as const]))(
    'pages by %s %s forward and backward, ties included',
    async (field, direction) => {
      const expected = sorted(all, CUSTOMER_KEYS[field]!, direction === 'DESC').map((r) => r.id);
      const read = readCustomers({ orderBy: { field, direction } });
      for (const size of [1, 3]) {
        expect((await walk(read, false, size)).map((n) => n.id)).toEqual(expected);
        expect((await walk(read, true, size)).map((n) => n.id)).toEqual(expected);
      }
    },
  );

  it('sorts the newest registration first without orderBy', async () => {
    const expected = sorted(all, CUSTOMER_KEYS.REGISTERED_AT!, true).map((r) => r.id);
    expect((await walk(readCustomers({}), false, 4)).map((n) => n.id)).toEqual(expected);
  });

  it('searches name and email, case-insensitively, wildcards taken literally, and counts what it finds', async () => {
    const found = async (filter: object) => {
      const page = await readCustomers({ filter, orderBy: { field: 'NAME', direction: 'ASC' } })({ first: 100 });
      expect(page.totalCount).toBe(page.edges.length);
      return page.edges.map((e) => e.node.id);
    };
    // "ann" in Ann Lee's name and email, Joanna's name, Eve's email.
    expect(await found({ search: 'ANN' })).toEqual([people.ann, people.eve, people.joanna]);
    expect(await found({ search: 'carl' })).toEqual(expect.arrayContaining([people.carl1, people.carl2]));
    expect(await found({ search: 'carl', active: true })).toEqual([people.carl1]);
    expect(await found({ search: 'carl', active: false })).toEqual([people.carl2]);
    expect(await found({ search: '100%' })).toEqual([people.dora]);
    expect(await found({ search: '%' })).toEqual([people.dora]);
    expect(await found({ search: '_' })).toEqual([people.dora]);
    expect(await found({ search: 'l_e' })).toEqual([]);
    expect(await found({ active: false })).toEqual([people.carl2]);
  });

  it('pages a search backward with its count', async () => {
    const read = readCustomers({ filter: { search: 'example.com' }, orderBy: { field: 'NAME', direction: 'DESC' } });
    const expected = sorted(
      all.filter((c) => c.email.includes('example.com')),
      CUSTOMER_KEYS.NAME!,
      true,
    ).map((c) => c.id);
    expect((await walk(read, true, 2)).map((n) => n.id)).toEqual(expected);
    expect((await read({ last: 2 })).totalCount).toBe(expected.length);
  });

  it("shows a customer registered by this client's mutation at once (read-your-writes)", async () => {
    const id = await register('Zed Newcomer', 'zed@newcomer.test');
    const page = await readCustomers({ filter: { search: 'newcomer' } })({ first: 5 });
    expect(page.edges.map((e) => e.node.id)).toEqual([id]);
  });

  it('refuses a search of no or too many characters, a cursor of another ordering, and first with last', async () => {
    const query = `query ($filter: CustomerFilter, $orderBy: CustomerOrder, $first: Int, $after: String, $last: Int) {
      customers(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last) { nodes { id } }
    }`;
    const byName = (await readCustomers({ orderBy: { field: 'NAME', direction: 'ASC' } })({ first: 1 })).pageInfo
      .endCursor;
    const orderCursor = (await readOrders({})({ first: 1 })).pageInfo.endCursor;
    const cases: [Record<string, unknown>, string][] = [
      [{ filter: { search: '' } }, 'filter.search'],
      [{ filter: { search: 'x'.repeat(101) } }, 'filter.search'],
      [{ after: byName }, 'after'],
      [{ after: orderCursor }, 'after'],
      [{ first: 1, last: 1 }, 'last'],
    ];
    for (const [variables, field] of cases) {
      expect(refusal(await server.gql(query, variables))).toEqual({ code: 'BAD_USER_INPUT', field });
    }
  });
});
