import { Pool } from 'pg';
import { adminToken, gqlAt, startChildServer, type ChildServer } from '../support/child-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';
import type { OrderOutcome } from '../../src/orders/commands';
import { paymentWindow, paymentWindowKey } from '../../src/orders/payment-window';
import { scheduledCommandMeta } from '../../src/scheduling/scheduler';

// ORDER_PAYMENT_WINDOW, a deadline: OrderPlaced schedules the order's cancel at placedAt + window, paying first
// un-schedules it, and the scheduler sends it when due, as the caller `system`, caused by the OrderPlaced, once,
// also when the instance that was to send it is killed before it is due.

const REGISTER = `mutation ($input: RegisterCustomerInput!) { registerCustomer(input: $input) { aggregateId } }`;
const PLACE = `mutation ($c: ID!) {
  placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "3.00" }] }) {
    aggregateId
    order { createdAt paymentDueAt }
  }
}`;
const PAY = `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { order { status paymentDueAt } } }`;
const ORDER = `query ($o: ID!) { order(id: $o) { status cancellationReason paymentDueAt } }`;
const SCHEDULED = `{ scheduledCommands { key command input dueAt causationId correlationId } }`;

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<any>;

async function customer(gql: Gql): Promise<string> {
  const registered = await gql(REGISTER, { input: { name: 'Ada', email: 'ada@example.com' } });
  return registered.data.registerCustomer.aggregateId as string;
}

async function place(gql: Gql, customerId: string) {
  const placed = await gql(PLACE, { c: customerId });
  expect(placed.errors).toBeUndefined();
  const { aggregateId, order } = placed.data.placeOrder;
  return { orderId: aggregateId as string, createdAt: order.createdAt as string, dueAt: order.paymentDueAt as string };
}

type Logged = {
  event_id: string;
  timestamp: Date;
  metadata: { userId: string; causationId: string; correlationId: string };
};

async function eventsOf(sql: Pool, orderId: string, eventType: string): Promise<Logged[]> {
  const { rows } = await sql.query<Logged>(
    `SELECT event_id, timestamp, metadata FROM events WHERE aggregate_id = $1 AND event_type = $2`,
    [orderId, eventType],
  );
  return rows;
}

/** Cancelled once, by `system`, caused by its OrderPlaced and carrying on its correlation, for the window's reason. */
async function expectExpiredOnce(sql: Pool, gql: Gql, orderId: string) {
  const [placed] = await eventsOf(sql, orderId, 'OrderPlaced');
  const cancels = await eventsOf(sql, orderId, 'OrderCancelled');
  expect(cancels).toHaveLength(1);
  expect(cancels[0]!.metadata).toMatchObject({
    userId: 'system',
    causationId: placed!.event_id,
    correlationId: placed!.metadata.correlationId,
  });
  await eventually(async () =>
    expect((await gql(ORDER, { o: orderId })).data.order).toEqual({
      status: 'CANCELLED',
      cancellationReason: 'PAYMENT_WINDOW_EXPIRED',
      paymentDueAt: null,
    }),
  );
  return cancels[0]!;
}

describe('with a payment window of 2 s', () => {
  let server: TestServer;
  let gql: Gql;
  beforeAll(async () => {
    server = await startTestServer({ ORDER_PAYMENT_WINDOW: 'PT2S' });
    gql = (q, v) => server.gql(q, v);
  });
  afterAll(() => server.close());

  it('cancels an unpaid order once when its window closes, as system, caused by its OrderPlaced', async () => {
    const { orderId, createdAt, dueAt } = await place(gql, await customer(gql));
    expect(new Date(dueAt).getTime() - new Date(createdAt).getTime()).toBe(2000);
    const [placed] = await eventsOf(server.sql, orderId, 'OrderPlaced');
    const staff = await server.as({ role: 'staff' });
    const listed = await server.ok(SCHEDULED, {}, staff);
    expect(listed.scheduledCommands).toContainEqual({
      key: paymentWindowKey(orderId),
      command: 'ExpireOrderPayment',
      input: { orderId },
      dueAt,
      causationId: placed!.event_id,
      correlationId: placed!.metadata.correlationId,
    });

    await eventually(async () => expect(await eventsOf(server.sql, orderId, 'OrderCancelled')).toHaveLength(1));
    const cancel = await expectExpiredOnce(server.sql, gql, orderId);
    // Sent at its due time, not before it, and not a poll later.
    const late = cancel.timestamp.getTime() - new Date(dueAt).getTime();

    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(1000);
    await eventually(async () =>
      expect((await server.ok(SCHEDULED, {}, staff)).scheduledCommands).not.toContainEqual(
        expect.objectContaining({ key: paymentWindowKey(orderId) }),
      ),
    );
    expect(await eventsOf(server.sql, orderId, 'OrderCancelled')).toHaveLength(1);
  });

  it('leaves an order paid within its window alone: paying un-schedules the cancel', async () => {
    const customerId = await customer(gql);
    const paid = await place(gql, customerId);
    const pay = await gql(PAY, { o: paid.orderId });
    expect(pay.data.payOrder.order).toEqual({ status: 'PAID', paymentDueAt: null });
    // An unpaid order placed after it: once its window has closed and it is cancelled, the paid one's had too.
    const unpaid = await place(gql, customerId);
    const staff = await server.as({ role: 'staff' });
    const keys = async () =>
      ((await server.ok(SCHEDULED, {}, staff)).scheduledCommands as { key: string }[]).map((c) => c.key);
    expect(await keys()).not.toContain(paymentWindowKey(paid.orderId));
    expect(await keys()).toContain(paymentWindowKey(unpaid.orderId));
    await eventually(async () => expect(await eventsOf(server.sql, unpaid.orderId, 'OrderCancelled')).toHaveLength(1));
    expect(await eventsOf(server.sql, paid.orderId, 'OrderCancelled')).toEqual([]);
    expect((await gql(ORDER, { o: paid.orderId })).data.order).toEqual({
      status: 'PAID',
      cancellationReason: null,
      paymentDueAt: null,
    });
  });

  it('answers a cancel sent again under its commandId (a re-send after a crash) from the log; a moot one is a no-op', async () => {
    const customerId = await customer(gql);
    const expired = await place(gql, customerId);
    await eventually(async () => expect(await eventsOf(server.sql, expired.orderId, 'OrderCancelled')).toHaveLength(1));
    const [first] = await eventsOf(server.sql, expired.orderId, 'OrderCancelled');
    const { store, config } = server.app.services;
    const deps = {
      store,
      commands: {
        retries: config.commandRetries,
        snapshotEvery: 0,
        limits: config.inputLimits,
        defaultCurrency: config.defaultCurrency,
        logger: { warn: () => undefined },
      },
    };
    const [placed] = await eventsOf(server.sql, expired.orderId, 'OrderPlaced');
    const row = {
      key: paymentWindowKey(expired.orderId),
      causationId: placed!.event_id,
      correlationId: placed!.metadata.correlationId,
    };
    // The order is CANCELLED: a fresh expiry would be refused; the same commandId is answered with the first result.
    const replayed = await paymentWindow.send({ orderId: expired.orderId }, scheduledCommandMeta(row), deps);
    expect((replayed as OrderOutcome).events.map((e) => e.eventId)).toEqual([first!.event_id]);
    const paid = await place(gql, customerId);
    expect((await gql(PAY, { o: paid.orderId })).errors).toBeUndefined();
    const moot = { ...row, key: paymentWindowKey(paid.orderId) };
    await expect(paymentWindow.send({ orderId: paid.orderId }, scheduledCommandMeta(moot), deps)).rejects.toMatchObject(
      {
        code: 'BUSINESS_RULE_VIOLATION',
      },
    );
    expect(await eventsOf(server.sql, expired.orderId, 'OrderCancelled')).toHaveLength(1);
    expect(await eventsOf(server.sql, paid.orderId, 'OrderCancelled')).toEqual([]);
  });

  it('takes a deadline sent after the order was paid (its cancellation not yet seen) as moot: no cancel, no error', async () => {
    const customerId = await customer(gql);
    const { orderId } = await place(gql, customerId);
    expect((await gql(PAY, { o: orderId })).errors).toBeUndefined();
    const [placed] = await eventsOf(server.sql, orderId, 'OrderPlaced');
    // A read of the table waits for its projector to pass the payment, which took the deadline back: from here on
    // only the scheduler removes the row put back below.
    const staff = await server.as({ role: 'staff' });
    expect((await server.ok(SCHEDULED, {}, staff)).scheduledCommands).not.toContainEqual(
      expect.objectContaining({ key: paymentWindowKey(orderId) }),
    );
    // As if the projector had not passed the OrderPaid yet: the order's expiry is due now.
    await server.sql.query(
      `INSERT INTO scheduled_commands (key, command, input, due_at, causation_id, correlation_id, position)
       VALUES ($1, 'ExpireOrderPayment', $2, now(), $3, $4, 1)
       ON CONFLICT (key) DO UPDATE SET due_at = now()`,
      [paymentWindowKey(orderId), { orderId }, placed!.event_id, placed!.metadata.correlationId],
    );
    await eventually(async () => {
      const { rows } = await server.sql.query('SELECT 1 FROM scheduled_commands WHERE key = $1', [
        paymentWindowKey(orderId),
      ]);
      expect(rows).toEqual([]);
    });
    expect(await eventsOf(server.sql, orderId, 'OrderCancelled')).toEqual([]);
    expect(await server.app.services.scheduler.report()).toMatchObject({ lastError: null });
    expect((await gql(ORDER, { o: orderId })).data.order.status).toBe('PAID');
  });

  it('reports the scheduler in /metrics and in /readyz', async () => {
    const { orderId } = await place(gql, await customer(gql));
    await eventually(async () => expect(await eventsOf(server.sql, orderId, 'OrderCancelled')).toHaveLength(1));
    await eventually(async () =>
      expect(await server.app.services.scheduler.report()).toMatchObject({ due: 0, leader: true, lastError: null }),
    );
    const admin = await server.as({ role: 'admin' });
    const metrics = await (await fetch(`${server.app.url}/metrics`, { headers: admin })).text();
    expect(metrics).toMatch(/^orderstream_scheduled_commands_pending \d+$/m);
    expect(metrics).toMatch(/^orderstream_scheduled_commands_due 0$/m);
    expect(metrics).toMatch(/^orderstream_scheduler_lag_seconds 0$/m);
    const ready = (await (await fetch(`${server.app.url}/readyz`, { headers: admin })).json()) as Record<string, any>;
    expect(ready.scheduler).toEqual({
      pending: expect.any(Number),
      due: 0,
      oldestDueSeconds: 0,
      leader: true,
      lastError: null,
    });
  });
});

describe('two instances, the leader killed between scheduling and due time', () => {
  let db: TestDatabase;
  let sql: Pool;
  const servers: ChildServer[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Pool({ connectionString: db.url, max: 4 });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await sql?.end();
    await db?.drop();
  });

  // Long enough for the kill to come before it closes on a busy machine.
  const env = { ORDER_PAYMENT_WINDOW: 'PT6S' };
  const readiness = async (server: ChildServer) => {
    const res = await fetch(`${server.url}/readyz`, { headers: { authorization: `Bearer ${await adminToken()}` } });
    return ((await res.json()) as { scheduler: { leader: boolean } }).scheduler;
  };

  it('cancels the order exactly once after the restart', async () => {
    servers.push(await startChildServer(db.url, env), await startChildServer(db.url, env));
    const leader = await eventually(async () => {
      const leading = [];
      for (const server of servers) if ((await readiness(server)).leader) leading.push(server);
      expect(leading).toHaveLength(1);
      return leading[0]!;
    }, 30_000);
    const other = servers.find((s) => s !== leader)!;
    const gql: Gql = (q, v) => gqlAt(other.url, q, v);
    const { orderId, dueAt } = await place(gql, await customer(gql));
    await eventually(async () => {
      const { rows } = await sql.query('SELECT 1 FROM scheduled_commands WHERE key = $1', [paymentWindowKey(orderId)]);
      expect(rows).toHaveLength(1);
    }, 30_000);
    await leader.stop('SIGKILL');
    // Killed before the window closed: nothing was sent yet.
    expect(Date.now()).toBeLessThan(new Date(dueAt).getTime());
    expect(await eventsOf(sql, orderId, 'OrderCancelled')).toEqual([]);

    servers.splice(servers.indexOf(leader), 1, await startChildServer(db.url, env));
    await eventually(async () => expect(await eventsOf(sql, orderId, 'OrderCancelled')).toHaveLength(1), 30_000);
    // Both instances have nothing left to send: no second cancel is coming.
    await eventually(async () => {
      const { rows } = await sql.query('SELECT 1 FROM scheduled_commands WHERE key = $1', [paymentWindowKey(orderId)]);
      expect(rows).toEqual([]);
    }, 30_000);
    await expectExpiredOnce(sql, gql, orderId);
  });
});

describe('without a payment window (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('schedules nothing, and does not run the projector that would keep scheduled_commands', async () => {
    const gql: Gql = (q, v) => server.gql(q, v);
    const { orderId, dueAt } = await place(gql, await customer(gql));
    expect(dueAt).toBeNull();
    // Every processor of the instance starts at once: by the time the projectors' rows are there, a running
    // scheduled-commands projector's would be too.
    const names = await eventually(async () => {
      const { projections } = await server.ok('{ projections { name } }');
      const listed = projections.map((p: { name: string }) => p.name) as string[];
      expect(listed).toEqual(expect.arrayContaining(['orders', 'customers']));
      return listed;
    });
    expect(names).not.toContain('scheduled-commands');
    const { rows } = await server.sql.query<{ name: string }>('SELECT name FROM projection_checkpoints');
    expect(rows.map((r) => r.name)).not.toContain('scheduled-commands');
    expect((await server.ok(SCHEDULED)).scheduledCommands).toEqual([]);
    expect((await gql(ORDER, { o: orderId })).data.order.paymentDueAt).toBeNull();
  });
});
