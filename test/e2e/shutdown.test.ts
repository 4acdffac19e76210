import { Pool, type PoolClient } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/eventually';
import { adminToken, gqlAt, startChildServer, type ChildServer } from '../support/child-server';
import { TEST_DATA_KEY } from '../support/server';

// SIGTERM while a mutation is in flight: the mutation's append waits on its stream's row, which the test holds
// locked (as a slow writer elsewhere would), so the request is provably inside the server when the signal comes.

const PLACE = `mutation ($c: ID!) {
  placeOrder(input: { customerId: $c, items: [{ productId: "p", quantity: 1, unitPrice: "2.00" }] }) { aggregateId }
}`;
const PAY = `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`;

let db: TestDatabase;
let sql: Pool;
let server: ChildServer | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
  sql = new Pool({ connectionString: db.url, max: 3 });
});
afterEach(() => server?.stop('SIGKILL'));
afterAll(async () => {
  await sql.end();
  await db.drop();
});

/** A paid-for-nothing order, its stream's row locked by the test, and payOrder for it sent and waiting on that lock. */
async function payWaitingOnItsStream(url: string): Promise<{ holder: PoolClient; paid: Promise<Response> }> {
  const registered = await gqlAt(
    url,
    'mutation { registerCustomer(input: { name: "Drain", email: "drain@example.com" }) { aggregateId } }',
  );
  const placed = await gqlAt(url, PLACE, { c: registered.data.registerCustomer.aggregateId });
  const orderId: string = placed.data.placeOrder.aggregateId;
  const holder = await sql.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT 1 FROM streams WHERE aggregate_id = $1 FOR UPDATE', [orderId]);
  const paid = fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` },
    body: JSON.stringify({ query: PAY, variables: { o: orderId } }),
  });
  try {
    await eventually(async () => {
      const { rows } = await sql.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      expect(rows).toHaveLength(1);
    });
  } catch (error) {
    await holder.query('ROLLBACK');
    holder.release();
    throw error;
  }
  return { holder, paid };
}

function exited(child: ChildServer): Promise<number | null> {
  const { process: p } = child;
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => p.once('exit', (code) => resolve(code)));
}

async function readyz(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

it('answers /readyz 503 at once on SIGTERM, finishes the request in flight, and exits 0 within the grace period', async () => {
  const graceMs = 10_000;
  server = await startChildServer(db.url, { DATA_KEY: TEST_DATA_KEY, SHUTDOWN_GRACE_MS: String(graceMs) });
  const { url } = server;
  const { holder, paid } = await payWaitingOnItsStream(url);
  try {
    // The probe's connection is open already, as a load balancer's would be.
    expect(await readyz(url)).toBe(200);
    const signalled = performance.now();
    const code = exited(server);
    server.process.kill('SIGTERM');
    await eventually(async () => expect(await readyz(url)).toBe(503), 1000);
    expect(performance.now() - signalled).toBeLessThan(100);
    // Still draining while the mutation waits: the server goes on answering.
    expect(await readyz(url)).toBe(503);
    await holder.query('COMMIT');
    const res = await paid;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { payOrder: { version: 2 } } });
    expect(await code).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(graceMs);
  } finally {
    holder.release();
  }
});

it('cuts a request still in flight at the end of the grace period and exits 1', async () => {
  server = await startChildServer(db.url, { DATA_KEY: TEST_DATA_KEY, SHUTDOWN_GRACE_MS: '300' });
  const { url } = server;
  const { holder, paid } = await payWaitingOnItsStream(url);
  try {
    const code = exited(server);
    server.process.kill('SIGTERM');
    await expect(paid).rejects.toThrow();
    await holder.query('ROLLBACK');
    expect(await code).toBe(1);
  } finally {
    holder.release();
  }
});
