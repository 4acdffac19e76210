import { Client } from 'pg';
import type { TestServer } from './server';

const TABLES = ['orders', 'order_status_counts', 'customers', 'customer_orders'] as const;

/** Every query table, row by row, in a stable order: what "the read model" is, for comparisons. */
export async function dumpReadModel(databaseUrl: string): Promise<Record<string, unknown[]>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const dump: Record<string, unknown[]> = {};
    for (const table of TABLES) {
      const { rows } = await client.query(`SELECT * FROM ${table} ORDER BY 1`);
      dump[table] = rows;
    }
    return dump;
  } finally {
    await client.end();
  }
}

type ProjectionState = { name: string; status: string; lag: number; checkpoint: string; rebuildEvents: number | null };

export async function projections(server: TestServer): Promise<ProjectionState[]> {
  const res = await server.gql(`{ projections { name status lag checkpoint rebuildEvents } }`);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.projections;
}

/** Waits until every projector is RUNNING with nothing left to process. */
export async function caughtUp(server: TestServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await projections(server);
    if (all.length > 0 && all.every((p) => p.status === 'RUNNING' && p.lag === 0)) return;
    if (Date.now() > deadline) throw new Error(`projectors did not catch up: ${JSON.stringify(all)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rebuilds a projector through the operator mutation and waits for the new tables to be swapped in. */
export async function rebuild(server: TestServer, name: string, timeoutMs = 60_000): Promise<void> {
  const res = await server.gql(`mutation ($name: String!) { rebuildProjection(name: $name) { name } }`, { name });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const deadline = Date.now() + timeoutMs;
  // The request is seen on the leader's next step; wait for it to start, then to finish.
  for (;;) {
    const row = await server.sql.query(
      'SELECT status, rebuild_requested_at FROM projection_checkpoints WHERE name = $1',
      [name],
    );
    const { status, rebuild_requested_at: requested } = row.rows[0];
    if (status === 'RUNNING' && requested === null) return;
    if (status === 'FAILED') throw new Error(`${name} failed while rebuilding`);
    if (Date.now() > deadline) throw new Error(`${name} did not finish rebuilding`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
