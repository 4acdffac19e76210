import { startTestServer, withoutCost, type GraphQLResponse, type TestServer } from '../support/server';

// GraphQL over GET, as docs/api.md's curl example and urql's default send it (`curl -G --data-urlencode 'query=…'`
// with an Authorization header): Apollo Server's CSRF prevention refuses a GET that a browser could send cross-site
// without a preflight (one with neither Authorization nor apollo-require-preflight), and GET never runs a mutation.

let server: TestServer;
let authorization: string;
beforeAll(async () => {
  server = await startTestServer();
  authorization = `Bearer ${await server.token({ role: 'admin' })}`;
});
afterAll(() => server.close());

const ORDERS = '{ orders(first: 5) { nodes { id status totalAmount } } }';

function get(query: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.app.url}/graphql?${new URLSearchParams({ query })}`, {
    headers: { accept: '*/*', ...headers },
  });
}

it('answers a query sent as GET ?query= with the apollo-require-preflight header', async () => {
  const { registerCustomer } = (
    await server.gql('mutation { registerCustomer(input: { name: "Ada", email: "a@x.io" }) { aggregateId } }')
  ).data!;
  await server.gql(
    `mutation { placeOrder(input: { customerId: "${registerCustomer.aggregateId}", items: [{ productId: "p", quantity: 1, unitPrice: "2.50" }] }) { version } }`,
  );

  const res = await get(ORDERS, { 'apollo-require-preflight': 'true', authorization });
  expect(res.status).toBe(200);
  expect(withoutCost((await res.json()) as GraphQLResponse)).toEqual({
    data: { orders: { nodes: [{ id: expect.any(String), status: 'PLACED', totalAmount: '2.50' }] } },
  });
});

it('answers a GET that carries only Authorization (a header no page can send cross-site without a preflight)', async () => {
  const res = await get(ORDERS, { authorization });
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).data.orders.nodes).toHaveLength(1);
});

it('refuses a GET with neither header as a possible cross-site request forgery', async () => {
  const res = await get('{ __typename }', {});
  expect(res.status).toBe(400);
  const body: any = await res.json();
  expect(body.data).toBeUndefined();
  expect(body.errors).toEqual([
    expect.objectContaining({ message: expect.stringMatching(/CSRF/), extensions: { code: 'BAD_REQUEST' } }),
  ]);
});

it('refuses a mutation sent as GET, and appends nothing', async () => {
  const before = (await server.sql.query('SELECT count(*)::int AS n FROM events')).rows[0].n;
  const res = await get('mutation { registerCustomer(input: { name: "Eve", email: "eve@x.io" }) { aggregateId } }', {
    'apollo-require-preflight': 'true',
    authorization,
  });
  expect(res.status).toBe(405);
  const body: any = await res.json();
  expect(body.errors).toEqual([
    {
      message: 'GET requests only support query operations, not mutation operations',
      extensions: { code: 'BAD_REQUEST' },
    },
  ]);
  expect((await server.sql.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(before);
});
