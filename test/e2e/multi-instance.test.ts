import { createTestDatabase, type TestDatabase } from '../support/database';
import { gqlAt, startChildServer, type ChildServer } from '../support/child-server';

let db: TestDatabase;
let a: ChildServer;
let b: ChildServer;
beforeAll(async () => {
  db = await createTestDatabase();
  [a, b] = await Promise.all([startChildServer(db.url), startChildServer(db.url)]);
}, 90_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db.drop();
});

type Lead = Record<string, boolean>;
async function leads(server: ChildServer): Promise<Lead | undefined> {
  try {
    const res = await gqlAt(server.url, '{ projections { name runsHere } }');
    return Object.fromEntries(res.data.projections.map((p: any) => [p.name, p.runsHere]));
  } catch {
    return undefined; // a killed instance
  }
}

async function placeOrderAt(url: string, customerId: string) {
  const res = await gqlAt(
    url,
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "x", quantity: 1, unitPrice: "1.00" }] }) {
       aggregateId order { version customer { orderCount } } } }`,
    { c: customerId },
  );
  expect(res.errors).toBeUndefined();
  return res;
}

it('runs each projector in exactly one of two processes, and the other takes over when the leader is killed', async () => {
  const overlaps: string[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [la, lb] = await Promise.all([leads(a), leads(b)]);
      for (const name of Object.keys(la ?? {})) if (la?.[name] && lb?.[name]) overlaps.push(name);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();

  // Both instances serve writes and reads; each projector is led by exactly one of them.
  const registered = await gqlAt(a.url, `mutation { registerCustomer(input: { name: "M", email: "m@example.com" }) { aggregateId } }`);
  const customerId = registered.data.registerCustomer.aggregateId;
  for (let i = 0; i < 10; i++) await placeOrderAt(i % 2 ? a.url : b.url, customerId);
  const [la, lb] = [await leads(a), await leads(b)];
  for (const name of ['orders', 'customers']) expect([la![name], lb![name]].filter(Boolean)).toHaveLength(1);

  // Kill -9 whichever leads `orders`: no shutdown, its advisory locks go with its connection.
  const [leader, survivor] = la!.orders ? [a, b] : [b, a];
  await leader.stop('SIGKILL');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const lead = await leads(survivor);
    if (lead && Object.values(lead).every(Boolean)) break;
    if (Date.now() > deadline) throw new Error(`survivor did not take over: ${JSON.stringify(lead)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The survivor now projects: its mutations see their own writes in the query tables.
  const after = await placeOrderAt(survivor.url, customerId);
  expect(after.extensions).toBeUndefined();
  expect(after.data.placeOrder.order.customer.orderCount).toBe(11);

  sampling = false;
  await sampler;
  expect(overlaps).toEqual([]);
}, 120_000);
