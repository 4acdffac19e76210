import { Client } from 'pg';
import { graphqlClient, type GraphQLClient } from '../lib/graphql';
import type { LoadClient, LoadResult } from '../lib/load';
import { costPerOp, measure, NOISY_NEIGHBOURS, type MeasureContext } from '../lib/measure';
import { item, registerCustomers } from '../lib/order-workload';
import { processCpuSeconds, waitUntilIdle } from '../lib/proc';
import { freePort, startChild, type ChildProcessServer } from '../lib/server';
import { PEER_DDL, PEER_SCHEMA, PEER_SEED_SQL } from '../peer/schema';
import { figure, type BenchContext, type Figure, type Mode, type Stage } from './types';

/**
 * orderstream against the CRUD GraphQL server a user would pick instead: PostGraphile 5 (bench/peer/server.ts,
 * the amber preset, NODE_ENV=production, its own process) over the same database, its tables in the `peer` schema
 * holding a copy of orderstream's orders taken when the stage starts. Four operations, each at 1 and 32 clients
 * in a closed loop with the same client (keep-alive fetch): `{ __typename }` (HTTP + GraphQL, no resolver), one
 * order by id, the 20 newest orders, and writing one order (placeOrder answering with its own write, as the
 * appends stage asks it; createOrder with the same items). Per measurement: requests/s, and the measured server's
 * CPU per request from /proc (for writes, with what the server did after the window until idle again: orderstream's
 * projectors can finish a command's work after its answer). The two servers take turns, never both under load,
 * each turn starting once both are idle, the order swapped every round (full mode: three turns each), so that
 * what else runs on the machine falls on both; each figure's baseline is the peer's, measured in the same run.
 *
 * It reads the orders the appends stage placed; run alone (`--only peer`) it places some itself first.
 */

const PARAMETERS: Record<
  Mode,
  {
    levels: number[];
    /** Turns per server and level, each `durationMs` long, the servers taking turns. */
    rounds: number;
    durationMs: number;
    warmupMs: number;
    idleMaxMs: number;
    minOrders: number;
    customers: number;
  }
> = {
  quick: {
    levels: [1, 32],
    rounds: 1,
    durationMs: 1_000,
    warmupMs: 500,
    idleMaxMs: 5_000,
    minOrders: 200,
    customers: 16,
  },
  full: {
    levels: [1, 32],
    rounds: 3,
    durationMs: 2_000,
    warmupMs: 2_000,
    idleMaxMs: 30_000,
    minOrders: 1_000,
    customers: 16,
  },
};

type Operation = {
  id: 'typename' | 'order' | 'orders' | 'write';
  label: string;
  documents: { orderstream: string; peer: string };
  orderstream(gql: GraphQLClient, data: Data, n: number): Promise<void>;
  peer(gql: GraphQLClient, data: Data, n: number): Promise<void>;
};

/** What the operations read and write with: the orders both servers hold, the customers that place new ones. */
type Data = { ids: string[]; customers: string[] };

const ORDER_FIELDS = 'status currency totalAmount itemCount version updatedAt';
const PAGE_FIELDS = 'status totalAmount itemCount updatedAt';

/**
 * The same selections as the queries and appends stages ask of orderstream; the peer's are the same columns
 * under PostGraphile's names (amber names the primary key `rowId`, `id` being the Relay node id) with the items
 * as the jsonb they are stored in.
 */
export const OPERATIONS: Operation[] = [
  {
    id: 'typename',
    label: '{ __typename }',
    documents: { orderstream: '{ __typename }', peer: '{ __typename }' },
    async orderstream(gql) {
      await gql('{ __typename }');
    },
    async peer(gql) {
      await gql('{ __typename }');
    },
  },
  {
    id: 'order',
    label: 'one order by id',
    documents: {
      orderstream: `query Order($id: ID!) {
  order(id: $id) { id ${ORDER_FIELDS} items { productId quantity unitPrice } }
}`,
      peer: `query Order($id: UUID!) {
  orderByRowId(rowId: $id) { rowId ${ORDER_FIELDS} items }
}`,
    },
    async orderstream(gql, data) {
      const answer = await gql<{ order: unknown }>(this.documents.orderstream, { id: pick(data.ids) });
      if (!answer.order) throw new Error('order(id) answered null for an order of the run');
    },
    async peer(gql, data) {
      const answer = await gql<{ orderByRowId: unknown }>(this.documents.peer, { id: pick(data.ids) });
      if (!answer.orderByRowId) throw new Error('orderByRowId answered null for an order of the run');
    },
  },
  {
    id: 'orders',
    label: '20 newest orders',
    documents: {
      orderstream: `query Orders {
  orders(first: 20) { nodes { id ${PAGE_FIELDS} } pageInfo { endCursor hasNextPage } }
}`,
      peer: `query Orders {
  allOrders(first: 20, orderBy: CREATED_AT_DESC) { nodes { rowId ${PAGE_FIELDS} } pageInfo { endCursor hasNextPage } }
}`,
    },
    async orderstream(gql) {
      const answer = await gql<{ orders: { nodes: unknown[] } }>(this.documents.orderstream);
      if (answer.orders.nodes.length === 0) throw new Error('orders(first: 20) answered no orders');
    },
    async peer(gql) {
      const answer = await gql<{ allOrders: { nodes: unknown[] } }>(this.documents.peer);
      if (answer.allOrders.nodes.length === 0) throw new Error('allOrders(first: 20) answered no orders');
    },
  },
  {
    id: 'write',
    label: 'write one order',
    documents: {
      orderstream: `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { aggregateId version position order { status totalAmount } }
}`,
      peer: `mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) { order { rowId version status totalAmount } }
}`,
    },
    async orderstream(gql, data, n) {
      await gql(this.documents.orderstream, { input: { customerId: pick(data.customers), items: [item(n)] } });
    },
    // A CRUD server stores what it is sent: the client works out the total and the item count that orderstream's
    // placeOrder decides on the server.
    async peer(gql, data, n) {
      const line = item(n);
      const cents = line.quantity * Math.round(Number(line.unitPrice) * 100);
      const order = {
        customerId: pick(data.customers),
        currency: 'EUR',
        totalAmount: (cents / 100).toFixed(2),
        itemCount: line.quantity,
        items: [line],
      };
      await gql(this.documents.peer, { input: { order } });
    },
  },
];

function pick(list: string[]): string {
  return list[Math.floor(Math.random() * list.length)]!;
}

const TYPENAME_PROBE: RequestInit = {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify({ query: '{ __typename }' }),
};

export async function startPeer(context: BenchContext): Promise<ChildProcessServer> {
  return startChild({
    script: 'bench/peer/server.ts',
    port: await freePort(),
    env: { NODE_ENV: 'production', DATABASE_URL: context.databaseUrl, HOST: '127.0.0.1' },
    onLine: (line) => context.progress.passthrough('[peer]', line),
    ready: { path: '/graphql', init: TYPENAME_PROBE },
  });
}

/**
 * Copies orderstream's orders into the peer's schema (made afresh): both servers then read the same orders. The ids
 * to read, up to 10,000 of them.
 */
export async function copyOrdersToPeer(reader: Client): Promise<{ copied: number; ids: string[] }> {
  await reader.query(PEER_DDL);
  const copied = (await reader.query(PEER_SEED_SQL)).rowCount ?? 0;
  await reader.query(`ANALYZE ${PEER_SCHEMA}.orders`);
  const { rows } = await reader.query<{ id: string }>(`SELECT id::text AS id FROM ${PEER_SCHEMA}.orders LIMIT 10000`);
  return { copied, ids: rows.map((r) => r.id) };
}

/** Places orders through orderstream until its read model holds `count` (a run without the appends stage). */
async function ensureOrders(gql: GraphQLClient, reader: Client, customers: string[], count: number): Promise<number> {
  const { rows } = await reader.query<{ n: string }>('SELECT count(*) AS n FROM orders');
  const missing = count - Number(rows[0]!.n);
  if (missing <= 0) return 0;
  const place = OPERATIONS.find((o) => o.id === 'write')!;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < missing) await place.orderstream(gql, { ids: [], customers }, next++);
    }),
  );
  return missing;
}

type Side = 'orderstream' | 'peer';
const SIDES: Side[] = ['orderstream', 'peer'];
const IDLE_WINDOW_MS = 250;

/** One turn of one server: the load's result and the server's CPU per request in the window and after it. */
type Round = { result: LoadResult; inWindow: number | undefined; afterWindow: number | undefined };

/** A server's turns together: requests/s over all of them, CPU per request weighted by the requests of each. */
function summarize(rounds: Round[]) {
  const ops = rounds.reduce((sum, r) => sum + r.result.ops, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.result.durationMs / 1000, 0);
  const known = rounds.every((r) => r.inWindow !== undefined);
  const cpuMs = rounds.reduce((sum, r) => sum + ((r.inWindow ?? 0) + (r.afterWindow ?? 0)) * r.result.ops, 0);
  return {
    ops,
    errors: rounds.reduce((sum, r) => sum + r.result.errors, 0),
    perSecond: seconds > 0 ? Number((ops / seconds).toFixed(1)) : 0,
    serverCpuMsPerRequest: known && ops > 0 ? Number((cpuMs / ops).toFixed(3)) : undefined,
    disturbed: rounds.some((r) => (r.result.cpu.otherCores ?? 0) > NOISY_NEIGHBOURS),
  };
}

export const peerStage: Stage = {
  name: 'peer',
  estimateSeconds(mode) {
    const p = PARAMETERS[mode];
    const measurements = OPERATIONS.length * p.levels.length * 2 * p.rounds;
    return (OPERATIONS.length * 2 * p.warmupMs + measurements * p.durationMs) / 1000 + measurements * 0.3 + 8;
  },
  async run(context) {
    const { mode, server, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const orderstream = graphqlClient(server.graphqlUrl, { authorization: server.authorization });

    const customers = await registerCustomers(orderstream, p.customers, 'Peer Bench');
    const reader = new Client({ connectionString: databaseUrl });
    await reader.connect();
    let ids: string[];
    let copied: number;
    try {
      const placed = await ensureOrders(orderstream, reader, customers, p.minOrders);
      if (placed) progress.info(`placed ${placed} orders through orderstream (no appends stage before this one)`);
      // placeOrder answers without waiting for its projector: copy once orderstream has caught up (is idle).
      await waitUntilIdle(server.pid, { maxMs: p.idleMaxMs, windowMs: IDLE_WINDOW_MS });
      ({ copied, ids } = await copyOrdersToPeer(reader));
    } finally {
      await reader.end();
    }
    progress.info(`copied ${copied} orders into ${PEER_SCHEMA}.orders; reading ${ids.length} of them on both`);
    if (ids.length === 0) return { figures: [], problems: ['peer: no orders to read'] };

    const peer = await startPeer(context);
    progress.info(`PostGraphile ready at ${peer.url}/graphql (pid ${peer.pid})`);
    const peerGql = graphqlClient(`${peer.url}/graphql`);
    const data: Data = { ids, customers };
    const contexts: Record<Side, MeasureContext> = {
      orderstream: context,
      peer: { ...context, server: peer },
    };

    const figures: Figure[] = [];
    const problems: string[] = [];
    const disturbed: string[] = [];
    const details: Record<string, unknown> = {};
    const pids: Record<Side, number> = { orderstream: server.pid, peer: peer.pid };
    let n = 0;
    const run = async (side: Side, operation: Operation, clients: number, label: string, durationMs: number) => {
      const gql = side === 'orderstream' ? orderstream : peerGql;
      const load: LoadClient[] = Array.from({ length: clients }, () => ({
        async op() {
          await operation[side](gql, data, n++);
          return operation.id;
        },
      }));
      return measure(contexts[side], label, operation.id === 'write' ? 'writes/s' : 'queries/s', load, durationMs);
    };
    // Neither server is still busy with the previous measurement (orderstream's projectors after writes).
    const bothIdle = () =>
      Promise.all(
        SIDES.map(async (side) => {
          const idle = await waitUntilIdle(pids[side], { maxMs: p.idleMaxMs, windowMs: IDLE_WINDOW_MS });
          if (idle.idle === false) {
            progress.warn(`${side} was still busy (${idle.lastCores} cores) after ${idle.seconds} s; measuring anyway`);
          }
        }),
      );
    // A write sets off work that can finish after its answer and so after the window (orderstream's projectors):
    // the server's CPU from the end of the window until it is idle again (less the idle window itself) is the
    // writes' too. Reads set off nothing, and this would only add the tick counter's noise to theirs.
    const leftoverCpuMs = async (side: Side, ops: number) => {
      const before = processCpuSeconds(pids[side]);
      const idle = await waitUntilIdle(pids[side], { maxMs: p.idleMaxMs, windowMs: IDLE_WINDOW_MS });
      const after = processCpuSeconds(pids[side]);
      if (before === undefined || after === undefined || ops === 0) return undefined;
      const idleWindow = ((idle.lastCores ?? 0) * IDLE_WINDOW_MS) / 1000;
      return Number(((Math.max(0, after - before - idleWindow) * 1000) / ops).toFixed(3));
    };

    let peerExit: number | null | undefined;
    try {
      for (const operation of OPERATIONS) {
        for (const side of SIDES) {
          await bothIdle();
          await run(side, operation, 8, `warm-up ${side} ${operation.label}, 8 clients`, p.warmupMs);
        }
        for (const clients of p.levels) {
          const noun = clients === 1 ? 'client' : 'clients';
          const rounds: Record<Side, Round[]> = { orderstream: [], peer: [] };
          // Short turns, the order swapped every round: what else the machine runs meanwhile falls on both.
          for (let round = 0; round < p.rounds; round++) {
            for (const side of round % 2 === 0 ? SIDES : [...SIDES].reverse()) {
              await bothIdle();
              const turn = p.rounds > 1 ? ` (turn ${round + 1}/${p.rounds})` : '';
              const label = `${side} ${operation.label}, ${clients} ${noun}${turn}`;
              const result = await run(side, operation, clients, label, p.durationMs);
              const afterWindow = operation.id === 'write' ? await leftoverCpuMs(side, result.ops) : undefined;
              rounds[side].push({ result, inWindow: costPerOp(result).serverCpuMs, afterWindow });
            }
          }
          const ours = summarize(rounds.orderstream);
          const theirs = summarize(rounds.peer);
          details[`${operation.id}.c${clients}`] = { orderstream: ours, peer: theirs, rounds };
          if (ours.disturbed || theirs.disturbed) disturbed.push(`${operation.label} at ${clients}`);
          for (const [side, summary] of [
            ['orderstream', ours],
            ['PostGraphile', theirs],
          ] as const) {
            if (summary.errors > 0) {
              problems.push(
                `peer: ${side} ${operation.label} at ${clients} ${noun}: ${summary.errors} requests failed`,
              );
            }
          }
          if (ours.ops === 0 || theirs.ops === 0) {
            problems.push(`peer: nothing completed for ${operation.label} at ${clients} ${noun}`);
            continue;
          }
          figures.push(
            figure(
              'peer',
              `${operation.id}.c${clients}.rate`,
              `${operation.label} vs PostGraphile, ${clients} ${noun}`,
              ours.perSecond,
              'req/s',
              { label: `PostGraphile 5, ${clients} ${noun}`, value: theirs.perSecond, unit: 'req/s' },
            ),
          );
          if (ours.serverCpuMsPerRequest !== undefined && theirs.serverCpuMsPerRequest !== undefined) {
            figures.push(
              figure(
                'peer',
                `${operation.id}.c${clients}.cpu`,
                '  server CPU per request',
                ours.serverCpuMsPerRequest,
                'ms',
                {
                  label: `PostGraphile 5 CPU per request, ${clients} ${noun}`,
                  value: theirs.serverCpuMsPerRequest,
                  unit: 'ms',
                },
              ),
            );
          }
        }
      }
    } finally {
      peerExit = await peer.stop().catch((error: unknown) => {
        problems.push(`peer: stopping PostGraphile: ${(error as Error).message}`);
        return null;
      });
      const cleaner = new Client({ connectionString: databaseUrl });
      await cleaner.connect();
      await cleaner.query(`DROP SCHEMA ${PEER_SCHEMA} CASCADE`).finally(() => cleaner.end());
    }
    if (peerExit !== 0) problems.push(`peer: PostGraphile exited with code ${peerExit} on SIGTERM`);

    const notes = [
      'peer: the baseline is PostGraphile 5 (amber preset, NODE_ENV=production, its own process) over a copy of ' +
        'the same orders in the same database; ratio above 1 is more requests/s, or more CPU per request, than it',
    ];
    if (disturbed.length) {
      notes.push(`peer (${disturbed.join('; ')}): other processes used more than ${NOISY_NEIGHBOURS} cores meanwhile`);
    }
    return {
      figures,
      problems,
      notes,
      details: {
        parameters: p,
        peer: { script: 'bench/peer/server.ts', schema: PEER_SCHEMA, ordersCopied: copied, ddl: PEER_DDL },
        operations: Object.fromEntries(OPERATIONS.map((o) => [o.id, o.documents])),
        ...details,
      },
    };
  },
};
