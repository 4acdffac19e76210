import { Client } from 'pg';
import { graphqlClient, type GraphQLClient } from '../lib/graphql';
import type { LoadClient, LoadResult } from '../lib/load';
import { costPerOp, measure, NOISY_NEIGHBOURS, settle } from '../lib/measure';
import { figure, type Figure, type Mode, type Stage } from './types';

/**
 * The two hottest reads, over HTTP at 1 and 32 clients in a closed loop: `order(id)` for a random order of the
 * run, and the first page of `orders` (20, newest first, with its cursor). Baseline, same run, same database: the
 * SELECTs that serve them issued raw with `pg` (named prepared statements, one connection per client, every row
 * read): the row of one order by primary key, and 21 rows (one more than the page, as `hasNextPage` needs) in
 * `placed_position` order. Both sides read every column of the table, as the service's model reads do.
 *
 * It runs after the appends stage, whose orders it reads (it needs no writes of its own).
 */

const PARAMETERS: Record<Mode, { levels: number[]; durationMs: number; warmupMs: number; settleMaxMs: number }> = {
  quick: { levels: [1, 32], durationMs: 2_000, warmupMs: 1_000, settleMaxMs: 5_000 },
  full: { levels: [1, 32], durationMs: 10_000, warmupMs: 3_000, settleMaxMs: 60_000 },
};

const ORDER = `query Order($id: ID!) {
  order(id: $id) { id status currency totalAmount itemCount version updatedAt items { productId quantity unitPrice } }
}`;
const ORDERS = `query Orders {
  orders(first: 20) { nodes { id status totalAmount itemCount updatedAt } pageInfo { endCursor hasNextPage } }
}`;

const COLUMNS = `id, customer_id, status, items, item_count, total_amount, currency, cancellation_reason, version,
  placed_position, created_at, updated_at, paid_at, shipped_at, cancelled_at`;
export const RAW_ORDER_SQL = `SELECT ${COLUMNS} FROM orders WHERE id = $1`;
export const RAW_ORDERS_SQL = `SELECT ${COLUMNS} FROM orders ORDER BY placed_position DESC LIMIT 21`;

type Read = 'order' | 'orders';

function serviceClient(gql: GraphQLClient, read: Read, ids: string[]): LoadClient {
  return {
    async op() {
      if (read === 'order') {
        const data = await gql<{ order: { id: string } | null }>(ORDER, { id: pick(ids) });
        if (!data.order) throw new Error('order(id) answered null for an order of the run');
      } else {
        const data = await gql<{ orders: { nodes: unknown[] } }>(ORDERS);
        if (data.orders.nodes.length === 0) throw new Error('orders(first: 20) answered no orders');
      }
      return read;
    },
  };
}

type RawClient = LoadClient & { close(): Promise<void> };

async function rawClient(databaseUrl: string, read: Read, ids: string[]): Promise<RawClient> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  return {
    async op() {
      const result =
        read === 'order'
          ? await client.query({ name: 'bench-order', text: RAW_ORDER_SQL, values: [pick(ids)] })
          : await client.query({ name: 'bench-orders', text: RAW_ORDERS_SQL });
      if (result.rowCount === 0) throw new Error(`raw ${read}: no rows`);
      return read;
    },
    close: () => client.end(),
  };
}

function pick(ids: string[]): string {
  return ids[Math.floor(Math.random() * ids.length)]!;
}

export const queriesStage: Stage = {
  name: 'queries',
  estimateSeconds(mode) {
    const p = PARAMETERS[mode];
    return (2 * p.warmupMs + 2 * p.levels.length * 2 * p.durationMs) / 1000 + 2 * p.levels.length;
  },
  async run(context) {
    const { mode, server, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const gql = graphqlClient(server.graphqlUrl, { authorization: server.authorization });
    const reader = new Client({ connectionString: databaseUrl });
    await reader.connect();
    let ids: string[];
    try {
      ids = (await reader.query<{ id: string }>('SELECT id FROM orders LIMIT 10000')).rows.map((r) => r.id);
    } finally {
      await reader.end();
    }
    if (ids.length === 0) return { figures: [], problems: ['queries: no orders to read (run it after appends)'] };
    progress.info(`reading ${ids.length} orders`);

    const figures: Figure[] = [];
    const problems: string[] = [];
    const disturbed: string[] = [];
    const details: Record<string, unknown> = {};
    for (const read of ['order', 'orders'] as const) {
      const label = read === 'order' ? 'order(id)' : 'orders(first: 20)';
      const runRaw = async (clients: number, durationMs: number, what: string): Promise<LoadResult> => {
        const raw = await Promise.all(Array.from({ length: clients }, () => rawClient(databaseUrl, read, ids)));
        try {
          return await measure(context, what, 'reads/s', raw, durationMs);
        } finally {
          await Promise.all(raw.map((c) => c.close()));
        }
      };
      const service = (clients: number) => Array.from({ length: clients }, () => serviceClient(gql, read, ids));
      await measure(context, `warm-up service ${label}, 8 clients`, 'queries/s', service(8), p.warmupMs);
      await runRaw(8, p.warmupMs / 2, `warm-up raw pg ${label}, 8 clients`);
      for (const clients of p.levels) {
        const noun = clients === 1 ? 'client' : 'clients';
        await settle(context, p.settleMaxMs, 'the previous measurement');
        const measured = await measure(
          context,
          `service ${label}, ${clients} ${noun}`,
          'queries/s',
          service(clients),
          p.durationMs,
        );
        const baseline = await runRaw(clients, p.durationMs, `raw pg ${label}, ${clients} ${noun}`);
        details[`${read}.c${clients}`] = {
          service: { ...measured, cpuPerQuery: costPerOp(measured) },
          baseline: { ...baseline, cpuPerRead: costPerOp(baseline) },
        };
        if ([measured, baseline].some((r) => (r.cpu.otherCores ?? 0) > NOISY_NEIGHBOURS)) {
          disturbed.push(`${label} at ${clients}`);
        }
        if (measured.errors > 0) problems.push(`${label} at ${clients} ${noun}: ${measured.errors} queries failed`);
        if (baseline.errors > 0) problems.push(`raw ${label} at ${clients} ${noun}: ${baseline.errors} reads failed`);
        if (measured.ops === 0 || baseline.ops === 0) {
          problems.push(`queries: nothing completed for ${label} at ${clients} ${noun}`);
          continue;
        }
        const rawLabel = `raw pg SELECT, ${clients} ${noun}`;
        figures.push(
          figure(
            'queries',
            `${read}.c${clients}.rate`,
            `${label}, ${clients} ${noun}`,
            measured.perSecond,
            'queries/s',
            {
              label: rawLabel,
              value: baseline.perSecond,
              unit: 'reads/s',
            },
          ),
          figure('queries', `${read}.c${clients}.p50`, `  query round trip p50`, measured.latencyMs.p50, 'ms', {
            label: `${rawLabel}, p50`,
            value: baseline.latencyMs.p50,
            unit: 'ms',
          }),
        );
      }
    }
    return {
      figures,
      problems,
      notes: disturbed.length
        ? [`queries (${disturbed.join('; ')}): other processes used more than ${NOISY_NEIGHBOURS} cores meanwhile`]
        : [],
      details: {
        parameters: p,
        queries: { order: ORDER, orders: ORDERS },
        baselineSql: { order: RAW_ORDER_SQL, orders: RAW_ORDERS_SQL },
        ...details,
      },
    };
  },
};
