import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { adminToken, gqlAt, startChildServer, type ChildServer } from '../support/child-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { collect } from '../support/subscriptions';

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

async function eventuallyItems<T>(items: T[], done: (items: T[]) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done(items)) {
    if (Date.now() > deadline) throw new Error(`not there: ${JSON.stringify(items)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Lead = Record<string, boolean>;
async function leads(server: ChildServer): Promise<Lead | undefined> {
  try {
    const res = await gqlAt(server.url, '{ projections { name runsHere } reactors { name runsHere } }');
    return Object.fromEntries([
      ...res.data.projections.map((p: any) => [p.name, p.runsHere]),
      ...res.data.reactors.map((r: any) => [`reactor:${r.name}`, r.runsHere]),
    ]);
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

it('delivers to a subscriber on one instance the events and read-model changes of mutations sent to the other', async () => {
  const client = createClient({
    url: `${b.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await adminToken()}` },
    retryAttempts: 0,
  });
  const events = collect<any>(
    client,
    `subscription { events(filter: { aggregateType: Order }) { eventType aggregateId } }`,
    {},
    (d) => d.events,
  );
  const changes = collect<any>(
    client,
    `subscription { ordersChanged { id status version } }`,
    {},
    (d) => d.ordersChanged,
  );
  const registered = await gqlAt(
    a.url,
    `mutation { registerCustomer(input: { name: "X", email: "x@example.com" }) { aggregateId } }`,
  );
  const customerId = registered.data.registerCustomer.aggregateId;
  // The other process gives no sign that a subscription is live: place probe orders on `a` until both
  // subscriptions on `b` have delivered one, then look only at what follows.
  const probes = new Set<string>();
  for (;;) {
    probes.add((await placeOrderAt(a.url, customerId)).data.placeOrder.aggregateId);
    try {
      await Promise.all([events.until(1, 2000), changes.until(1, 2000)]);
      break;
    } catch {
      // Not live yet: another probe.
    }
  }
  const placed = await placeOrderAt(a.url, customerId);
  const orderId = placed.data.placeOrder.aggregateId;
  const paid = await gqlAt(a.url, `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, {
    o: orderId,
  });
  expect(paid.errors).toBeUndefined();
  const mine = (items: any[]) => items.filter((item) => !probes.has(item.aggregateId ?? item.id));
  await eventuallyItems(events.items, (items) => items.filter((e) => e.aggregateId === orderId).length >= 2);
  expect(mine(events.items)).toEqual([
    { eventType: 'OrderPlaced', aggregateId: orderId },
    { eventType: 'OrderPaid', aggregateId: orderId },
  ]);
  // Read-model changes in quick succession may arrive combined: what must arrive is the order as the last
  // mutation left it.
  await eventuallyItems(changes.items, (items) => mine(items).at(-1)?.status === 'PAID');
  expect(mine(changes.items).every((c) => c.id === orderId)).toBe(true);
  await client.dispose();
}, 60_000);

it('runs each projector and reactor in exactly one of two processes, and the other takes over when the leader is killed', async () => {
  const overlaps: string[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [la, lb] = await Promise.all([leads(a), leads(b)]);
      for (const name of Object.keys(la ?? {})) if (la?.[name] && lb?.[name]) overlaps.push(name);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();

  // Both instances serve writes and reads; each projector and reactor is led by exactly one of them.
  const registered = await gqlAt(
    a.url,
    `mutation { registerCustomer(input: { name: "M", email: "m@example.com" }) { aggregateId } }`,
  );
  const customerId = registered.data.registerCustomer.aggregateId;
  for (let i = 0; i < 10; i++) await placeOrderAt(i % 2 ? a.url : b.url, customerId);
  const [la, lb] = [await leads(a), await leads(b)];
  for (const name of ['orders', 'customers', 'reactor:cancel-orders-on-deactivation']) {
    expect([la![name], lb![name]].filter(Boolean)).toHaveLength(1);
  }

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
