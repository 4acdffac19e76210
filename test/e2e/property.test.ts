import fc from 'fast-check';
import { fold } from '../../src/commands/aggregate';
import { customerAggregate } from '../../src/customers/commands';
import { orderAggregate } from '../../src/orders/commands';
import { Decimal } from '../../src/shared/money';
import { DEFAULT_INPUT_LIMITS as LIMITS } from '../../src/shared/input-limits';
import { caughtUp, projections } from '../support/read-model';
import { eventually } from '../support/eventually';
import { startTestServer, type GraphQLResponse, type TestServer } from '../support/server';

// Random sequences of valid and hostile commands, sent over HTTP to the real server: whatever the API accepts,
// every projector applies (none ever FAILS), the query tables equal the streams folded, and every refused command
// appended nothing. PROPERTY_RUNS sets how many sequences (`npm run test:property` runs many more).

const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);

/** Codes a refusal may carry: anything else (INTERNAL_SERVER_ERROR above all) fails the property. */
const REFUSALS = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'BUSINESS_RULE_VIOLATION',
  'CONCURRENCY_CONFLICT',
  'IDEMPOTENCY_CONFLICT',
]);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const control = fc
  .integer({ min: 0, max: 0x9f })
  .filter((c) => c < 0x20 || c >= 0x7f)
  .map((c) => String.fromCharCode(c));

/** Mostly plausible text, often hostile: controls, lone surrogates, any code point, lengths either side of a limit. */
const text = (max: number) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 -]{0,11}$/) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.string({ maxLength: 4 }), fc.oneof(loneSurrogate, control)).map(([a, b]) => a + b),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '   ', ' padded ', 'x'.repeat(max), 'x'.repeat(max + 1), ` ${'y'.repeat(max)}`),
    },
  );

const email = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/))
      .map(([l, d]) => `${l}@${d}.example`),
  },
  { weight: 1, arbitrary: text(LIMITS.emailLength) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('a@b', '@b.c', 'a@@b.c', 'a b@c.d', `a@${'a.'.repeat(300)}@`, `${'e'.repeat(250)}@x.io`),
  },
);

const price = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.integer({ min: 0, max: 99_999 }).map((cents) => new Decimal(cents).dividedBy(100).toFixed(2)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      LIMITS.unitPrice,
      '1000000.01',
      '1000000000000',
      '9'.repeat(40),
      '-1.00',
      '1.234',
      '1e3',
      '0x10',
      '',
      ' 1',
      '0',
      '0.5',
    ),
  },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
);

const quantity = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, LIMITS.quantity, LIMITS.quantity + 1, 2 ** 31 - 1, -(2 ** 31)) },
);

const item = fc.record({ productId: text(LIMITS.productIdLength), quantity, unitPrice: price });

type Command =
  | { kind: 'register'; name: string; email: string }
  | { kind: 'deactivate'; customer: number; reason: string | null }
  | { kind: 'place'; customer: number; items: { productId: string; quantity: number; unitPrice: string }[] }
  | { kind: 'addItem'; order: number; item: { productId: string; quantity: number; unitPrice: string } }
  | { kind: 'pay' | 'ship'; order: number }
  | { kind: 'cancel'; order: number; reason: string | null };

const reason = fc.option(text(LIMITS.reasonLength), { nil: null });
/** Targets are indexes into what the run has created so far (an index past the end names an unknown id). */
const target = fc.nat({ max: 3 });

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('register' as const), name: text(LIMITS.nameLength), email }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deactivate' as const), customer: target, reason }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      customer: target,
      items: fc.array(item, { minLength: 0, maxLength: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('addItem' as const), order: target, item }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('pay' as const, 'ship' as const), order: target }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), order: target, reason }) },
);

const MUTATIONS = {
  register: `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`,
  deactivate: `mutation ($input: DeactivateCustomerInput!) { deactivateCustomer(input: $input) { aggregateId } }`,
  place: `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId } }`,
  addItem: `mutation ($input: AddItemInput!) { addItem(input: $input) { aggregateId } }`,
  pay: `mutation ($input: PayOrderInput!) { payOrder(input: $input) { aggregateId } }`,
  ship: `mutation ($input: ShipOrderInput!) { shipOrder(input: $input) { aggregateId } }`,
  cancel: `mutation ($input: CancelOrderInput!) { cancelOrder(input: $input) { aggregateId } }`,
} as const;

let server: TestServer;
/** Over all sequences: a property that only ever saw refusals (or only acceptances) would prove little. */
const seen = { accepted: 0, refused: 0 };
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function logHead(): Promise<unknown> {
  const { rows } = await server.sql.query('SELECT count(*) AS n, max(position)::text AS last FROM events');
  return rows[0];
}

/** The id at `index` among those created, or one nobody created (the command must then be refused). */
const pick = (ids: string[], index: number) => ids[index] ?? `unknown-${index}`;

function inputOf(cmd: Command, customers: string[], orders: string[]): Record<string, unknown> {
  switch (cmd.kind) {
    case 'register':
      return { name: cmd.name, email: cmd.email };
    case 'deactivate':
      return { customerId: pick(customers, cmd.customer), reason: cmd.reason };
    case 'place':
      return { customerId: pick(customers, cmd.customer), items: cmd.items };
    case 'addItem':
      return { orderId: pick(orders, cmd.order), item: cmd.item };
    case 'pay':
    case 'ship':
      return { orderId: pick(orders, cmd.order) };
    case 'cancel':
      return { orderId: pick(orders, cmd.order), reason: cmd.reason };
  }
}

/** Sends one command; a refusal must carry a documented code and leave the log as it was. */
async function send(cmd: Command, customers: string[], orders: string[]): Promise<void> {
  const before = await logHead();
  const res: GraphQLResponse = await server.gql(MUTATIONS[cmd.kind], { input: inputOf(cmd, customers, orders) });
  if (res.errors) {
    for (const error of res.errors) expect(REFUSALS).toContain(error.extensions?.code);
    expect(await logHead()).toEqual(before);
    seen.refused++;
    return;
  }
  expect(res.extensions?.warnings).toBeUndefined();
  seen.accepted++;
  const id = Object.values(res.data!)[0].aggregateId as string;
  // A deactivation's cancellations come after it, from the reactor: the next command's log head waits for them.
  if (cmd.kind === 'deactivate') await reactionsSettled();
  if (cmd.kind === 'register') customers.push(id);
  if (cmd.kind === 'place') orders.push(id);
}

/** The reactors have reacted to everything in the log: their commands are appended. */
async function reactionsSettled(): Promise<void> {
  await eventually(async () => {
    for (const reactor of await server.app.services.reactors.report()) expect(reactor.lag).toBe(0);
  });
}

async function streamOf(id: string) {
  return server.app.services.store.readStream(id);
}

/** The query tables against the streams: each order and customer as the log folds it. */
async function expectTablesEqualStreams(customers: string[], orders: string[]): Promise<void> {
  const folded = await Promise.all(orders.map(async (id) => fold(orderAggregate, await streamOf(id)).state!));
  for (const order of folded) {
    const res = await server.gql(
      `query ($id: ID!) { order(id: $id) { customerId status items { productId quantity unitPrice } itemCount totalAmount cancellationReason version } }`,
      { id: order.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.order).toEqual({
      customerId: order.customerId,
      status: order.status,
      items: order.items,
      itemCount: order.itemCount,
      totalAmount: order.totalAmount,
      cancellationReason: order.cancellationReason,
      version: order.version,
    });
  }
  for (const id of customers) {
    const customer = fold(customerAggregate, await streamOf(id)).state!;
    const own = folded.filter((o) => o.customerId === id);
    const paid = own.filter((o) => o.status === 'PAID' || o.status === 'SHIPPED');
    const res = await server.gql(
      `query ($id: ID!) { customer(id: $id) { name email active deactivationReason version orderCount lifetimeTotal } }`,
      { id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.customer).toEqual({
      name: customer.name,
      email: customer.email,
      active: customer.active,
      deactivationReason: customer.deactivationReason,
      version: customer.version,
      orderCount: own.length,
      lifetimeTotal: paid.reduce((sum, o) => sum.plus(o.totalAmount), new Decimal(0)).toFixed(2),
    });
  }
}

it(
  'applies whatever the API accepts in every projector, and appends nothing for whatever it refuses',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
        const customers: string[] = [];
        const orders: string[] = [];
        // Every sequence has at least one customer to place orders for.
        await send({ kind: 'register', name: 'Property', email: 'property@example.com' }, customers, orders);
        for (const cmd of commands) await send(cmd, customers, orders);
        await caughtUp(server);
        expect((await projections(server)).filter((p) => p.status !== 'RUNNING')).toEqual([]);
        await expectTablesEqualStreams(customers, orders);
      }),
      { numRuns: RUNS },
    );
    expect(seen.accepted).toBeGreaterThan(RUNS);
    expect(seen.refused).toBeGreaterThan(RUNS);
  },
  Math.max(60_000, RUNS * 1000),
);
