import { freePort } from '../../src/db/free-port';
import { eventually } from '../support/eventually';
import { startTestServer, type TestServer } from '../support/server';

// /readyz is for load balancers and orchestrators, which send no token: they learn ready or not. What is wrong (the
// relay's state and last error, which names the broker's host; the pending migrations) is for operators. The broker
// here is a port nothing listens on, so the relay always has an error to report.

const METRICS_TOKEN = 'readiness-metrics-token-0123456789';

let server: TestServer;
beforeAll(async () => {
  const broker = `nats://127.0.0.1:${await freePort()}`;
  server = await startTestServer({ BUS_URL: broker, BUS_RETRY_MS: '50', BUS_MAX_RETRY_MS: '200', METRICS_TOKEN });
  await server.gql(
    'mutation { registerCustomer(input: { name: "Ready", email: "ready@example.com" }) { aggregateId } }',
  );
  await eventually(async () => {
    const { data } = await server.gql('{ relays { lastError } }');
    expect(data!.relays[0].lastError).toEqual(expect.any(String));
  });
});
afterAll(() => server.close());

async function readyz(authorization?: string) {
  const res = await fetch(`${server.app.url}/readyz`, { headers: authorization ? { authorization } : {} });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as any };
}

/** Marks the newest migration as not applied for the length of `fn`, as a deploy ahead of its migration would. */
async function withPendingMigration<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const { rows } = await server.sql.query<{ migration_name: string }>(
    `UPDATE "_prisma_migrations" SET rolled_back_at = now()
     WHERE migration_name = (SELECT max(migration_name) FROM "_prisma_migrations") RETURNING migration_name`,
  );
  const name = rows[0]!.migration_name;
  try {
    return await fn(name);
  } finally {
    await server.sql.query('UPDATE "_prisma_migrations" SET rolled_back_at = NULL WHERE migration_name = $1', [name]);
  }
}

describe('without a token', () => {
  it('says only ready, with no relay state or last error', async () => {
    expect(await readyz()).toEqual({ status: 200, cacheControl: 'no-store', body: { status: 'ready' } });
  });

  it('says only not ready while a migration is pending, naming none', async () => {
    await withPendingMigration(async (name) => {
      const answer = await readyz();
      expect(answer).toEqual({ status: 503, cacheControl: 'no-store', body: { status: 'not ready' } });
      expect(JSON.stringify(answer.body)).not.toContain(name);
    });
  });

  it.each([
    ['a staff token', async () => (await server.as({ role: 'staff' })).authorization],
    ['a wrong metrics token', async () => `Bearer ${METRICS_TOKEN}x`],
    ['a token that is not a JWT', async () => 'Bearer not-a-token'],
    ['a malformed header', async () => 'Basic abc'],
  ])('says the same to %s, which is not an operator', async (_who, authorization) => {
    expect(await readyz(await authorization())).toEqual({
      status: 200,
      cacheControl: 'no-store',
      body: { status: 'ready' },
    });
  });
});

describe.each([
  ['the metrics token', async () => `Bearer ${METRICS_TOKEN}`],
  ['an admin token', async () => (await server.as({ role: 'admin' })).authorization],
])('with %s', (_who, authorization) => {
  it('reports the relay, the reactors and the scheduler, their state and last error', async () => {
    const { status, body } = await readyz(await authorization());
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      relay: {
        name: 'relay:nats',
        state: expect.any(String),
        lag: expect.any(Number),
        position: expect.any(String),
        lastError: expect.any(String),
      },
      reactors: [
        {
          name: 'cancel-orders-on-deactivation',
          state: expect.any(String),
          lag: expect.any(Number),
          position: expect.any(String),
          lastError: null,
        },
      ],
      scheduler: {
        pending: expect.any(Number),
        due: expect.any(Number),
        oldestDueSeconds: expect.any(Number),
        leader: expect.any(Boolean),
        lastError: null,
      },
    });
  });

  it('names the pending migrations', async () => {
    await withPendingMigration(async (name) => {
      const { status, body } = await readyz(await authorization());
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'migrations pending', pending: [name], relay: { name: 'relay:nats' } });
    });
  });
});
