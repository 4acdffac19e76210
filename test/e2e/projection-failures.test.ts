import type { Statements } from '../../src/log/commit';
import { PROJECTORS } from '../../src/slices';
import type { Projector } from '../../src/projections/types';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { caughtUp, dumpReadModel, projections, rebuild } from '../support/read-model';
import { startTestServer, type TestServer } from '../support/server';
import { runWorkload } from '../support/workload';

/**
 * A projector that is NOT idempotent: it records every event it is handed with a unique key. Applying an event
 * twice fails its batch; losing one leaves a hole. So it checks the runner itself, not the projectors' own
 * version guards.
 */
function probeProjector(opts: { failOn?: () => string | undefined } = {}): Projector {
  return {
    name: 'probe',
    version: 1,
    eventTypes: [
      'CustomerRegistered',
      'OrderPlaced',
      'ItemAdded',
      'OrderPaid',
      'OrderShipped',
      'OrderCancelled',
      'CustomerDeactivated',
    ],
    tables: ['probe_events'],
    async apply(events) {
      for (const event of events) {
        if (opts.failOn?.() === event.eventType) throw new Error(`probe refuses ${event.eventType}`);
      }
      return {
        changes: [],
        write: (tx) =>
          tx.client.query(
            `INSERT INTO "${tx.table('probe_events')}" (event_id, position) SELECT * FROM unnest($1::uuid[], $2::bigint[])`,
            [events.map((e) => e.eventId), events.map((e) => e.position.toString())],
          ),
      };
    },
  };
}

async function withProbeTable(db: TestDatabase): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE probe_events (event_id uuid PRIMARY KEY, position bigint NOT NULL)');
  await client.end();
}

async function probeMatchesLog(server: TestServer): Promise<void> {
  const { rows } = await server.sql.query(
    `SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM probe_events) AS probed,
            (SELECT count(*) FROM events e LEFT JOIN probe_events p USING (event_id) WHERE p.event_id IS NULL) AS missing`,
  );
  expect(rows[0]).toEqual({ events: rows[0].events, probed: rows[0].events, missing: '0' });
}

describe('a projector transaction killed mid-batch', () => {
  let server: TestServer;
  let kills = 0;
  beforeAll(async () => {
    const db = await createTestDatabase();
    await withProbeTable(db);
    let batches = 0;
    server = await startTestServer(
      { PROJECTION_BATCH_SIZE: '25' },
      {
        db,
        projectors: [...PROJECTORS, probeProjector()],
        projection: {
          // After the projector's writes, before its checkpoint and commit: every 7th batch, the connection dies,
          // as it would if the process were killed there. PostgreSQL rolls the whole batch back.
          async beforeCommit(_name: string, client: Statements) {
            if (++batches % 7 === 0) {
              kills++;
              await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
            }
          },
        },
      },
    );
  });
  afterAll(() => server.close());

  it('loses nothing and applies nothing twice', async () => {
    await runWorkload(server, 8, 300);
    await caughtUp(server, 60_000);
    expect(kills).toBeGreaterThan(3);
    await probeMatchesLog(server);
    const live = await dumpReadModel(server.db.url);
    await rebuild(server, 'orders');
    await rebuild(server, 'customers');
    expect(await dumpReadModel(server.db.url)).toEqual(live);
  });
});

// PROJECTION_ON_ERROR=stop: how a projector stopped on an event before parking, and still can
// (test/e2e/parked-events.test.ts: the default, park).
describe('a projector that throws on an event', () => {
  let server: TestServer;
  let refuse: string | undefined = 'OrderPaid';
  beforeAll(async () => {
    const db = await createTestDatabase();
    await withProbeTable(db);
    // A wait as long as the test's own timeout: a read that waited for the failed projector would never answer in
    // time, so the answers below prove that nobody waits for it.
    server = await startTestServer(
      { READ_MODEL_WAIT_MS: '60000', PROJECTION_ON_ERROR: 'stop' },
      { db, projectors: [...PROJECTORS, probeProjector({ failOn: () => refuse })] },
    );
  });
  afterAll(() => server.close());

  it('is FAILED in `projections` with the event, while the server and the other projectors go on', async () => {
    const customer = await server.gql(
      `mutation { registerCustomer(input: { name: "F", email: "f@example.com" }) { aggregateId } }`,
    );
    const customerId = customer.data!.registerCustomer.aggregateId;
    const placed = await server.gql(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "5.00" }] }) { aggregateId } }`,
      { c: customerId },
    );
    const orderId = placed.data!.placeOrder.aggregateId;
    const paid = await server.gql(
      `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version events { eventId } order { status version } } }`,
      { o: orderId },
    );
    // The command succeeded, and its answer is its own state; one projector cannot apply it, and the next read of
    // the query tables (which waits for this instance's writes) says so instead of waiting for it.
    expect(paid.errors).toBeUndefined();
    expect(paid.data!.payOrder.order).toEqual({ status: 'PAID', version: 2 });
    const read = await server.gql(`query ($o: ID!) { order(id: $o) { status version } }`, { o: orderId });
    expect(read.data!.order).toEqual({ status: 'PAID', version: 2 });
    expect(read.extensions?.warnings).toEqual([
      expect.objectContaining({ code: 'PROJECTION_FAILED', projections: ['probe'] }),
    ]);
    // Later commands do not wait for the failed projector either, their answers stay exact, and they say at once
    // that it will not apply them.
    const second = await server.gql(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "b", quantity: 2, unitPrice: "1.25" }] }) { order { totalAmount version } } }`,
      { c: customerId },
    );
    expect(second.errors).toBeUndefined();
    expect(second.data!.placeOrder.order).toEqual({ totalAmount: '2.50', version: 1 });
    expect(second.extensions?.warnings).toEqual([expect.objectContaining({ code: 'PROJECTION_FAILED' })]);

    const failedEventId = paid.data!.payOrder.events[0].eventId;
    const res = await server.gql(`{ projections { name status lastError failedEventId } }`);
    const probe = res.data!.projections.find((p: any) => p.name === 'probe');
    expect(probe).toEqual({ name: 'probe', status: 'FAILED', lastError: 'probe refuses OrderPaid', failedEventId });
    for (const p of res.data!.projections.filter((p: any) => p.name !== 'probe')) expect(p.status).toBe('RUNNING');

    // The server keeps serving, and the healthy projectors keep up.
    const order = await server.gql(`query ($o: ID!) { order(id: $o) { status } }`, { o: orderId });
    expect(order.data!.order).toEqual({ status: 'PAID' });
    const { rows } = await server.sql.query('SELECT count(*)::int AS n FROM probe_events');
    expect(rows[0].n).toBe(2); // everything before the failing event
    const live = await server.gql(`query ($c: ID!) { customer(id: $c) { orderCount lifetimeTotal } }`, {
      c: customerId,
    });
    expect(live.data!.customer).toEqual({ orderCount: 2, lifetimeTotal: '5.00' });

    // Fixed (here: the probe stops refusing), an operator retries and it resumes just before that event.
    refuse = undefined;
    const retried = await server.gql(`mutation { retryProjection(name: "probe") { status } }`);
    expect(retried.data!.retryProjection.status).toBe('RUNNING');
    await caughtUp(server);
    await probeMatchesLog(server);
    expect((await projections(server)).every((p) => p.status === 'RUNNING')).toBe(true);
  });

  it('answers NOT_FOUND for an operator command on an unknown projector', async () => {
    const res = await server.gql(`mutation { retryProjection(name: "nope") { status } }`);
    expect(res.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });
});

describe('a projector whose last write fails in the database, its COMMIT already on the wire behind it', () => {
  let server: TestServer;
  beforeAll(async () => {
    const db = await createTestDatabase();
    const { Client } = await import('pg');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE TABLE probe_seen (event_id uuid PRIMARY KEY)');
    // Refuses one event type: that event's batch fails in its last statement, after the first one succeeded.
    await client.query(
      `CREATE TABLE probe_checked (event_id uuid PRIMARY KEY, event_type text NOT NULL CHECK (event_type <> 'OrderShipped'))`,
    );
    await client.end();
    const sqlProbe: Projector = {
      name: 'sql-probe',
      version: 1,
      eventTypes: ['OrderPlaced', 'OrderPaid', 'OrderShipped'],
      tables: ['probe_seen', 'probe_checked'],
      async apply(events) {
        const ids = events.map((e) => e.eventId);
        // Both statements, then the transaction's COMMIT, leave together.
        return {
          changes: [],
          write: (tx) =>
            Promise.all([
              tx.client.query(`INSERT INTO "${tx.table('probe_seen')}" SELECT unnest($1::uuid[])`, [ids]),
              tx.client.query(
                `INSERT INTO "${tx.table('probe_checked')}" SELECT * FROM unnest($1::uuid[], $2::text[])`,
                [ids, events.map((e) => e.eventType)],
              ),
            ]),
        };
      },
    };
    server = await startTestServer({ PROJECTION_ON_ERROR: 'stop' }, { db, projectors: [...PROJECTORS, sqlProbe] });
  });
  afterAll(() => server.close());

  it('leaves nothing of that batch: FAILED just before the event, its first write rolled back too', async () => {
    const customer = await server.gql(
      `mutation { registerCustomer(input: { name: "S", email: "s@example.com" }) { aggregateId } }`,
    );
    const placed = await server.gql(
      `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "a", quantity: 1, unitPrice: "5.00" }] }) { aggregateId } }`,
      { c: customer.data!.registerCustomer.aggregateId },
    );
    const orderId = placed.data!.placeOrder.aggregateId;
    await server.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
    const shipped = await server.gql(
      `mutation ($o: ID!) { shipOrder(input: { orderId: $o }) { events { eventId position } } }`,
      { o: orderId },
    );
    expect(shipped.errors).toBeUndefined();
    const [event] = shipped.data!.shipOrder.events;
    // The read waits for this instance's writes; the FAILED projector is not waited for, and says so.
    const read = await server.gql(`query ($o: ID!) { order(id: $o) { status } }`, { o: orderId });
    expect(read.data!.order).toEqual({ status: 'SHIPPED' });
    expect(read.extensions?.warnings).toEqual([
      expect.objectContaining({ code: 'PROJECTION_FAILED', projections: ['sql-probe'] }),
    ]);
    const states = await server.gql(`{ projections { name status failedEventId checkpoint } }`);
    const probe = states.data!.projections.find((p: { name: string }) => p.name === 'sql-probe');
    expect(probe).toMatchObject({ status: 'FAILED', failedEventId: event.eventId });
    expect(BigInt(probe.checkpoint)).toBeLessThan(BigInt(event.position));
    const { rows } = await server.sql.query(
      `SELECT (SELECT count(*)::int FROM probe_seen) AS seen, (SELECT count(*)::int FROM probe_checked) AS checked,
              (SELECT count(*)::int FROM probe_seen WHERE event_id = $1) AS failed_seen`,
      [event.eventId],
    );
    // OrderPlaced and OrderPaid are in both tables; of OrderShipped, not even the write that succeeded.
    expect(rows[0]).toEqual({ seen: 2, checked: 2, failed_seen: 0 });
  });
});
