import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';

// placeOrder reads the customer's stream to check "active", then appends to the order's stream on the condition
// that the customer's stream is still at the version it read (src/commands/other-streams.ts): a deactivation
// committed in between fails the append, and the retry refuses the order. Two instances on one database, so that
// the appends race in PostgreSQL too (within one process they go one statement at a time, see group-commit.ts).

const ROUNDS = 200;
const ORDERS_PER_ROUND = 3;

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  const env = { RATE_LIMIT_MUTATIONS_PER_SECOND: '1000000' };
  a = await startTestServer(env);
  // The second instance's database is the first's, which the first drops when it closes.
  b = await startTestServer(env, { db: { url: a.db.url, drop: async () => undefined } });
}, 60_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
});

const PLACE = `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "1.00" }] }) { aggregateId } }`;
const DEACTIVATE = `mutation ($c: ID!) { deactivateCustomer(input: { customerId: $c, reason: "race" }) { version } }`;

it(`never places an order after its customer's deactivation, over ${ROUNDS} rounds of both sent at once`, async () => {
  const refusals: GraphQLResponse['errors'] = [];
  let placed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const registered = await a.gql(
      `mutation { registerCustomer(input: { name: "Racer", email: "racer@example.com" }) { aggregateId } }`,
    );
    const c = registered.data!.registerCustomer.aggregateId as string;
    // Each round sends the deactivation to one instance and the orders to both, all at once.
    const [deactivated, ...orders] = await Promise.all([
      (round % 2 ? a : b).gql(DEACTIVATE, { c }),
      ...Array.from({ length: ORDERS_PER_ROUND }, (_, i) => (i % 2 ? a : b).gql(PLACE, { c })),
    ]);
    expect(deactivated!.errors).toBeUndefined();
    for (const order of orders) {
      if (order.errors) refusals.push(...order.errors);
      else placed++;
    }
  }
  // Every refusal is the business rule's, never a lost race or a failure.
  expect(refusals.map((e) => [e.extensions?.code, e.extensions?.rule])).toEqual(
    refusals.map(() => ['BUSINESS_RULE_VIOLATION', 'CUSTOMER_INACTIVE']),
  );
  // The race was run: some orders made it before their deactivation, and some were refused after it.
  expect(placed).toBeGreaterThan(0);
  expect(refusals.length).toBeGreaterThan(0);
  const { rows } = await a.sql.query(
    `SELECT o.aggregate_id AS "orderId", d.aggregate_id AS "customerId"
       FROM events d JOIN events o ON o.event_type = 'OrderPlaced' AND o.owner_id = d.aggregate_id
      WHERE d.event_type = 'CustomerDeactivated' AND o.position > d.position`,
  );
  expect(rows).toEqual([]);
  const counts = await a.sql.query(`SELECT count(*)::int AS n FROM events WHERE event_type = 'OrderPlaced'`);
  expect(counts.rows[0].n).toBe(placed);
}, 300_000);
