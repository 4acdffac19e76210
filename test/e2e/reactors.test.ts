import { Pool } from 'pg';
import { gqlAt, startChildServer, type ChildServer } from '../support/child-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';
import { orderCommands } from '../../src/orders/commands';
import { cancelOrdersOnDeactivation, CUSTOMER_DEACTIVATED } from '../../src/orders/deactivation-reactor';
import { reactionContext } from '../../src/reactions/context';

// The customers-deactivation rule, carried out by a reactor: CustomerDeactivated cancels the customer's PLACED and
// PAID orders, as the caller `system`, each once, also when the process reacting dies half-way through.

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`;
const PLACE = `mutation ($c: ID!) {
  placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "3.00" }] }) { aggregateId }
}`;
const PAY = `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`;
const SHIP = `mutation ($o: ID!) { shipOrder(input: { orderId: $o }) { version } }`;
const DEACTIVATE = `mutation ($c: ID!) { deactivateCustomer(input: { customerId: $c }) { version } }`;
const ORDER = `query ($o: ID!) { order(id: $o) { status cancellationReason } }`;

/** The advisory lock the crash test holds its later cancels on. */
const HOLD = 7_250_125;

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<any>;

/** A customer with 2 PLACED, 1 PAID and 1 SHIPPED order; the open ones sorted by id, as the reactor takes them. */
async function customerWithOrders(gql: Gql) {
  const registered = await gql(REGISTER, { input: { name: 'Ada', email: 'ada@example.com' } });
  const customerId = registered.data.registerCustomer.aggregateId as string;
  const place = async () => (await gql(PLACE, { c: customerId })).data.placeOrder.aggregateId as string;
  const [placed1, placed2, paid, shipped] = [await place(), await place(), await place(), await place()];
  for (const orderId of [paid, shipped]) expect((await gql(PAY, { o: orderId })).errors).toBeUndefined();
  expect((await gql(SHIP, { o: shipped })).errors).toBeUndefined();
  return { customerId, open: [placed1!, placed2!, paid!].sort(), shipped: shipped! };
}

type Cancellation = {
  event_id: string;
  aggregate_id: string;
  metadata: { userId: string; causationId: string; correlationId: string };
};

async function cancellations(sql: Pool, orderIds: readonly string[]): Promise<Cancellation[]> {
  const { rows } = await sql.query<Cancellation>(
    `SELECT event_id, aggregate_id, metadata FROM events WHERE event_type = 'OrderCancelled' AND aggregate_id = ANY($1)`,
    [orderIds],
  );
  return rows;
}

async function deactivation(sql: Pool, customerId: string) {
  const { rows } = await sql.query<{ event_id: string; metadata: { correlationId: string } }>(
    `SELECT event_id, metadata FROM events WHERE event_type = 'CustomerDeactivated' AND aggregate_id = $1`,
    [customerId],
  );
  expect(rows).toHaveLength(1);
  return { eventId: rows[0]!.event_id, correlationId: rows[0]!.metadata.correlationId };
}

/** Every open order cancelled exactly once, by `system`, caused by the deactivation; the shipped one untouched. */
async function expectCancelledOnce(sql: Pool, gql: Gql, customerId: string, open: string[], shipped: string) {
  const { eventId, correlationId } = await deactivation(sql, customerId);
  const rows = await cancellations(sql, [...open, shipped]);
  expect(rows.map((r) => r.aggregate_id).sort()).toEqual(open);
  for (const { metadata } of rows) {
    expect(metadata).toMatchObject({ userId: 'system', causationId: eventId, correlationId });
  }
  // The query tables show the reactor's commands once the projectors have passed them.
  for (const orderId of open) {
    await eventually(async () =>
      expect((await gql(ORDER, { o: orderId })).data.order).toEqual({
        status: 'CANCELLED',
        cancellationReason: 'CUSTOMER_DEACTIVATED',
      }),
    );
  }
  expect((await gql(ORDER, { o: shipped })).data.order.status).toBe('SHIPPED');
}

describe('in one server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("cancels a deactivated customer's PLACED and PAID orders once each, as system, caused by the deactivation", async () => {
    const gql: Gql = (q, v) => server.gql(q, v);
    const { customerId, open, shipped } = await customerWithOrders(gql);
    expect((await gql(DEACTIVATE, { c: customerId })).errors).toBeUndefined();
    await eventually(async () => expect(await cancellations(server.sql, open)).toHaveLength(3));
    // The reactor has moved past the deactivation: nothing more will come of it.
    await eventually(async () => {
      const [report] = await server.app.services.reactors.report();
      expect(report).toMatchObject({ name: 'cancel-orders-on-deactivation', lag: 0 });
    });
    await expectCancelledOnce(server.sql, gql, customerId, open, shipped);
  });

  it('answers a cancel sent again under its commandId (a re-run after a crash) from the log; a moot one is a no-op', async () => {
    const gql: Gql = (q, v) => server.gql(q, v);
    const { customerId, open, shipped } = await customerWithOrders(gql);
    expect((await gql(DEACTIVATE, { c: customerId })).errors).toBeUndefined();
    await eventually(async () => expect(await cancellations(server.sql, open)).toHaveLength(3));
    const before = await cancellations(server.sql, open);
    const { store, config, reads, projections } = server.app.services;
    const event = (await store.readStream(customerId)).find((e) => e.eventType === 'CustomerDeactivated')!;
    const commands = {
      retries: config.commandRetries,
      snapshotEvery: 0,
      limits: config.inputLimits,
      defaultCurrency: config.defaultCurrency,
      logger: { warn: () => undefined },
    };
    const context = reactionContext(cancelOrdersOnDeactivation, event, {
      store,
      commands,
      reads,
      projections: projections.fence,
      logger: { info: () => undefined },
      options: { readModelWaitMs: 5000 },
    });
    const orders = orderCommands(store, commands);
    const cancel = (orderId: string) =>
      context.send(orderId, (meta) => orders.cancel({ orderId }, CUSTOMER_DEACTIVATED, meta));
    // The order is CANCELLED: a fresh cancel would be refused; the same commandId is answered with the first result.
    for (const orderId of open) {
      const replayed = await cancel(orderId);
      const first = before.find((r) => r.aggregate_id === orderId)!;
      expect(replayed?.events.map((e) => e.eventId)).toEqual([first.event_id]);
    }
    await expect(cancel(shipped)).resolves.toBeUndefined();
    expect(await cancellations(server.sql, [...open, shipped])).toHaveLength(3);
  });

  it('reports the reactor to staff (reactors), in /metrics and in /readyz', async () => {
    const gql: Gql = (q, v) => server.gql(q, v);
    const { customerId, open } = await customerWithOrders(gql);
    expect((await gql(DEACTIVATE, { c: customerId })).errors).toBeUndefined();
    await eventually(async () => expect(await cancellations(server.sql, open)).toHaveLength(3));
    await eventually(async () => {
      const [report] = await server.app.services.reactors.report();
      expect(report).toMatchObject({ lag: 0, state: 'IDLE', leader: true, lastError: null });
    });
    const staff = await server.as({ role: 'staff' });
    const listed = await server.gql('{ reactors { name position lag state runsHere lastError } }', {}, staff);
    expect(listed.data!.reactors).toEqual([
      {
        name: 'cancel-orders-on-deactivation',
        position: expect.any(String),
        lag: 0,
        state: 'IDLE',
        runsHere: true,
        lastError: null,
      },
    ]);
    const admin = await server.as({ role: 'admin' });
    const metrics = await (await fetch(`${server.app.url}/metrics`, { headers: admin })).text();
    expect(metrics).toMatch(/^orderstream_reactor_lag_events\{reactor="cancel-orders-on-deactivation"\} 0$/m);
    expect(metrics).toMatch(/^orderstream_reactor_lag_seconds\{reactor="cancel-orders-on-deactivation"\} 0$/m);
    expect(metrics).toMatch(/^orderstream_reactor_state\{reactor="cancel-orders-on-deactivation",state="IDLE"\} 1$/m);
    const ready = (await (await fetch(`${server.app.url}/readyz`, { headers: admin })).json()) as Record<string, any>;
    expect(ready.reactors).toEqual([
      expect.objectContaining({ name: 'cancel-orders-on-deactivation', lag: 0, lastError: null }),
    ]);
  });
});

describe('a reactor killed half-way through its reaction', () => {
  let db: TestDatabase;
  let sql: Pool;
  let server: ChildServer | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Pool({ connectionString: db.url, max: 4 });
  });
  afterAll(async () => {
    await server?.stop();
    await sql?.end();
    await db?.drop();
  });

  it('cancels the rest after a restart, none twice', async () => {
    server = await startChildServer(db.url);
    const gql: Gql = (q, v) => gqlAt(server!.url, q, v);
    const { customerId, open, shipped } = await customerWithOrders(gql);
    const [first, ...rest] = open;
    // The later orders' cancels wait at their append, on an advisory lock the test holds (a row lock would give the
    // test's transaction an id, and the log's gap-safe readers would see nothing after it), while the first commits.
    await sql.query(`CREATE FUNCTION hold_cancels() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock(${HOLD}); RETURN NEW; END $$`);
    await sql.query(`CREATE TRIGGER hold_cancels BEFORE INSERT ON events FOR EACH ROW
      WHEN (NEW.event_type = 'OrderCancelled' AND NEW.aggregate_id IN (${rest.map((id) => `'${id}'`).join(', ')}))
      EXECUTE FUNCTION hold_cancels()`);
    const holder = await sql.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [HOLD]);
      expect((await gql(DEACTIVATE, { c: customerId })).errors).toBeUndefined();
      await eventually(async () =>
        expect((await cancellations(sql, open)).map((r) => r.aggregate_id)).toEqual([first]),
      );
      const { rows: waiting } = await eventually(async () => {
        const found = await sql.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'`,
        );
        expect(found.rows).toHaveLength(1);
        return found;
      });
      await server.stop('SIGKILL');
      // The dead process's append would otherwise go on once the lock is free: it ends with its process.
      for (const { pid } of waiting) await sql.query('SELECT pg_terminate_backend($1)', [pid]);
      await sql.query('DROP TRIGGER hold_cancels ON events');
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [HOLD]);
      holder.release();
    }
    expect(await cancellations(sql, open)).toHaveLength(1);

    server = await startChildServer(db.url);
    await eventually(async () => expect(await cancellations(sql, open)).toHaveLength(3), 30_000);
    await expectCancelledOnce(sql, gql, customerId, open, shipped);
  });
});
