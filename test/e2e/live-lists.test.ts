import type { Client } from 'graphql-ws';
import { eventually } from '../support/eventually';
import { heldProjector } from '../support/held-projector';
import { startTestServer, type TestServer } from '../support/server';
import { subscriptionStarts } from '../support/subscription-starts';
import { collect, type Collected } from '../support/subscriptions';

/**
 * orderListChanged: a filtered list of orders a client keeps exactly from the stream alone (ADDED, UPDATED,
 * REMOVED), checked against the `orders(filter:)` query. The orders projector can be held inside a batch, so that
 * an order's changes reach the feed as one (test/support/held-projector.ts).
 */
let server: TestServer;
const starts = subscriptionStarts();
const orders = heldProjector('orders');
beforeAll(async () => {
  server = await startTestServer({}, { schema: starts.schema, projection: { beforeCommit: orders.beforeCommit } });
});
afterEach(orders.letGo);
afterAll(() => server.close());

type Row = { id: string; customerId: string; status: string; version: number };
type Change = { change: 'ADDED' | 'UPDATED' | 'REMOVED'; order: Row };
const ROW = 'id customerId status version';
const LIST = `subscription ($filter: OrderFilter) { orderListChanged(filter: $filter) { change order { ${ROW} } } }`;

const REGISTER = `mutation { registerCustomer(input: { name: "Lister", email: "lister@example.com" }) { aggregateId } }`;
const PLACE = `mutation ($c: ID!) {
  placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "3.00" }] }) { aggregateId }
}`;
const ADD_ITEM = `mutation ($o: ID!) {
  addItem(input: { orderId: $o, item: { productId: "b", quantity: 1, unitPrice: "1.00" } }) { version }
}`;
const PAY = `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`;
const CANCEL = `mutation ($o: ID!) { cancelOrder(input: { orderId: $o, reason: "changed my mind" }) { version } }`;

async function register(): Promise<string> {
  return (await server.gql(REGISTER)).data!.registerCustomer.aggregateId;
}
async function place(customerId: string): Promise<string> {
  return (await server.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId;
}
async function act(mutation: string, orderId: string): Promise<void> {
  const res = await server.gql(mutation, { o: orderId });
  expect(res.errors).toBeUndefined();
}

/** A client's list, kept from the messages alone as docs/api.md tells clients to. */
class KeptList {
  readonly rows = new Map<string, Row>();
  readonly sub: Collected<Change>;

  constructor(client: Client, filter: object) {
    this.sub = collect<Change>(client, LIST, { filter }, (d) => d.orderListChanged);
  }

  static async open(client: Client, filter: object): Promise<KeptList> {
    const before = starts.count('orderListChanged');
    const list = new KeptList(client, filter);
    await starts.until('orderListChanged', before + 1);
    return list;
  }

  /** The messages about one order, as `change status@version`. */
  of(id: string): string[] {
    return this.sub.items
      .filter((m) => m.order.id === id)
      .map((m) => `${m.change} ${m.order.status}@${m.order.version}`);
  }

  /** Waits for a message about `id` matching `expected`, applying every message to the list on the way. */
  async until(id: string, expected: string): Promise<void> {
    await eventually(async () => expect(this.of(id)).toContain(expected));
    this.apply();
  }

  private apply(): void {
    this.rows.clear();
    for (const { change, order } of this.sub.items) {
      if (change === 'REMOVED') {
        expect(this.rows.has(order.id)).toBe(true);
        this.rows.delete(order.id);
      } else {
        expect(this.rows.has(order.id)).toBe(change === 'UPDATED');
        this.rows.set(order.id, order);
      }
    }
  }

  /** The list as the client holds it, in the shape of the query's nodes (newest first does not matter here). */
  sorted(): Row[] {
    return [...this.rows.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
}

async function queried(filter: object): Promise<Row[]> {
  const res = await server.gql(`query ($f: OrderFilter) { orders(filter: $f, first: 100) { nodes { ${ROW} } } }`, {
    f: filter,
  });
  expect(res.errors).toBeUndefined();
  return (res.data!.orders.nodes as Row[]).sort((a, b) => a.id.localeCompare(b.id));
}

it('keeps a PLACED list exact through place, pay (REMOVED), another place (ADDED) and cancel (REMOVED)', async () => {
  const customerId = await register();
  const before = await place(customerId);
  const list = await KeptList.open(server.ws(), { status: 'PLACED' });
  // The orders that match when it starts come first, each ADDED.
  await list.until(before, 'ADDED PLACED@1');
  const a = await place(customerId);
  await list.until(a, 'ADDED PLACED@1');
  await act(PAY, a);
  await list.until(a, 'REMOVED PAID@2');
  const b = await place(customerId);
  await list.until(b, 'ADDED PLACED@1');
  await act(CANCEL, b);
  await list.until(b, 'REMOVED CANCELLED@2');
  expect(list.of(a)).toEqual(['ADDED PLACED@1', 'REMOVED PAID@2']);
  expect(list.of(b)).toEqual(['ADDED PLACED@1', 'REMOVED CANCELLED@2']);
  expect(list.sorted()).toEqual(await queried({ status: 'PLACED' }));
  expect(list.sorted().map((o) => o.id)).toContain(before);
  list.sub.stop();
});

it('joins without a gap while a change is on its way: the order in the first rows, its change right after them', async () => {
  const customerId = await register();
  const order = await place(customerId);
  await queried({ customerId }); // waits until the projector has written the order
  const inBatch = orders.hold();
  await act(PAY, order);
  await inBatch;
  // The payment is in the log but not yet in the table: each list starts with the order as PLACED. Lists that
  // start together share one turn of the feed.
  const before = starts.count('orderListChanged');
  const client = server.ws();
  const lists = Array.from({ length: 5 }, () => new KeptList(client, { status: 'PLACED', customerId }));
  await starts.until('orderListChanged', before + lists.length);
  for (const list of lists) await list.until(order, 'ADDED PLACED@1');
  orders.letGo();
  const expected = await queried({ status: 'PLACED', customerId });
  for (const list of lists) {
    await list.until(order, 'REMOVED PAID@2');
    expect(list.of(order)).toEqual(['ADDED PLACED@1', 'REMOVED PAID@2']);
    expect(list.sorted()).toEqual(expected);
    list.sub.stop();
  }
});

it("keeps a customer's list exact: their new orders ADDED, each change UPDATED, nobody else's orders", async () => {
  const customerId = await register();
  const other = await register();
  const first = await place(customerId);
  const list = await KeptList.open(server.ws(), { customerId });
  await list.until(first, 'ADDED PLACED@1');
  const second = await place(customerId);
  await list.until(second, 'ADDED PLACED@1');
  await act(ADD_ITEM, second);
  await list.until(second, 'UPDATED PLACED@2');
  const others = await place(other);
  await act(PAY, first);
  await list.until(first, 'UPDATED PAID@2');
  await act(CANCEL, second);
  await list.until(second, 'UPDATED CANCELLED@3');
  expect(list.of(first)).toEqual(['ADDED PLACED@1', 'UPDATED PAID@2']);
  expect(list.of(second)).toEqual(['ADDED PLACED@1', 'UPDATED PLACED@2', 'UPDATED CANCELLED@3']);
  // The feed pushes in log order: another's order, placed before the payment, would have come before it.
  expect(list.of(others)).toEqual([]);
  expect(list.sorted()).toEqual(await queried({ customerId }));
  list.sub.stop();
});

it('judges changes combined into one message against what the subscriber holds: placed and paid is nothing to a PLACED list', async () => {
  const customerId = await register();
  const placedList = await KeptList.open(server.ws(), { status: 'PLACED' });
  const customerList = await KeptList.open(server.ws(), { customerId });
  const inBatch = orders.hold();
  const held = await place(customerId);
  await inBatch;
  const quick = await place(customerId);
  await act(PAY, quick);
  // Neither change of `quick` can be read from the log while the projector's batch is open (the log is read
  // gap-safe), and both can once it commits: the projector's next batch holds both, and the feed sees the order
  // once, at version 2.
  orders.letGo();
  await customerList.until(quick, 'ADDED PAID@2');
  await placedList.until(held, 'ADDED PLACED@1');
  // A later order's message comes after anything about `quick` (log order): there was nothing.
  const later = await place(customerId);
  await placedList.until(later, 'ADDED PLACED@1');
  expect(placedList.of(quick)).toEqual([]);
  expect(customerList.of(quick)).toEqual(['ADDED PAID@2']);
  expect(placedList.sorted()).toEqual(await queried({ status: 'PLACED' }));
  placedList.sub.stop();
  customerList.sub.stop();
});

describe('a list larger than LIVE_LIST_LIMIT', () => {
  let small: TestServer;
  const smallStarts = subscriptionStarts();
  beforeAll(async () => {
    small = await startTestServer({ LIVE_LIST_LIMIT: '2' }, { schema: smallStarts.schema });
  });
  afterAll(() => small.close());

  const placeOn = async (customerId: string) =>
    (await small.gql(PLACE, { c: customerId })).data!.placeOrder.aggregateId as string;
  /** Reads wait for the projectors to pass the caller's writes: the orders are in the table when this returns. */
  const projected = async (customerId: string) =>
    small.gql('query ($c: ID) { orders(filter: { customerId: $c }) { totalCount } }', { c: customerId });

  it('is refused at the start, and ends a list that grows past it, with QUERY_TOO_COMPLEX', async () => {
    const crowded = (await small.gql(REGISTER)).data!.registerCustomer.aggregateId;
    for (let i = 0; i < 3; i++) await placeOn(crowded);
    await projected(crowded);
    const refused = collect<Change>(small.ws(), LIST, { filter: { customerId: crowded } }, (d) => d.orderListChanged);
    await refused.done();
    expect(refused.items).toEqual([]);
    expect(refused.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'liveList' }),
      }),
    ]);

    const growing = (await small.gql(REGISTER)).data!.registerCustomer.aggregateId;
    await placeOn(growing);
    await placeOn(growing);
    await projected(growing);
    const before = smallStarts.count('orderListChanged');
    const list = collect<Change>(small.ws(), LIST, { filter: { customerId: growing } }, (d) => d.orderListChanged);
    await smallStarts.until('orderListChanged', before + 1);
    await list.until(2);
    await placeOn(growing);
    await list.done();
    expect(list.items.map((m) => m.change)).toEqual(['ADDED', 'ADDED']);
    expect(list.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'liveList' }),
      }),
    ]);
  });
});
