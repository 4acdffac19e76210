import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { checkpoint } from '../lib/database';
import { graphqlClient, type GraphQLClient } from '../lib/graphql';
import { type LoadClient, type LoadResult } from '../lib/load';
import { costPerOp, measure, NOISY_NEIGHBOURS, settle } from '../lib/measure';
import { item, rawAppendSequence, registerCustomers } from '../lib/order-workload';
import { figure, type Figure, type Mode, type Stage } from './types';

/**
 * Command throughput: placeOrder + addItem mutations per second over real HTTP (keep-alive fetch) at 1, 8 and 32
 * concurrent clients, each client placing an order and then adding an item to it, in a closed loop.
 *
 * Baseline, same run, same database, same concurrency: raw single-event appends with `pg`, one connection per
 * client, each append one transaction doing the write an append of the service does (upsert the stream's row, insert
 * one event with the transaction-id position) as one named prepared statement. Its aggregates live in their own id
 * space (`raw-<uuid>`, aggregate type `BenchRaw`, event types of its own), never touched by the service. Like the
 * service's clients, each baseline client alternates a new stream (version 1) and a second event on it (version 2).
 *
 * Before each measurement the server is let go idle (its projectors catch up with the log), so neither side pays
 * for the other's leftovers; how long that took is in the details.
 */

const PARAMETERS: Record<
  Mode,
  { levels: number[]; durationMs: number; warmupMs: number; customers: number; settleMaxMs: number }
> = {
  quick: { levels: [1, 8, 32], durationMs: 3_000, warmupMs: 1_000, customers: 16, settleMaxMs: 5_000 },
  full: { levels: [1, 8, 32], durationMs: 15_000, warmupMs: 5_000, customers: 16, settleMaxMs: 60_000 },
};

/**
 * The baseline's event types: not the service's, so no projector of the server (they select by event type) picks
 * its rows up, neither into the read models nor as work competing with the measurement.
 */
const RAW_EVENT_TYPES = { first: 'BenchRawPlaced', next: 'BenchRawAdded' } as const;

// What a client typically asks back (as docs/api.md's examples do): the id to act on next, the new version and
// position, and the order. The server answers `order` read-your-writes: from its query tables once its projectors
// have passed the command's position, so the round trip includes the projectors' lag.
const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { aggregateId version position order { status totalAmount } }
}`;
const ADD = `mutation Add($input: AddItemInput!) {
  addItem(input: $input) { aggregateId version position order { status totalAmount } }
}`;

/** The service's append (src/eventstore/append.ts), reduced to one event and no idempotency record. */
export const RAW_APPEND_SQL = `WITH stream AS (
    INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES ($1::text, $2::text, 1)
    ON CONFLICT (aggregate_id) DO UPDATE SET version = streams.version + 1, updated_at = now()
    RETURNING version)
  INSERT INTO events (position, event_id, aggregate_id, aggregate_type, version, event_type, payload, metadata)
  SELECT (pg_current_xact_id()::text::bigint << 16) + 1, $3::uuid, $1::text, $2::text, stream.version, $4::text,
    $5::jsonb, $6::jsonb
  FROM stream
  RETURNING position::text AS position, version`;

function serviceClient(gql: GraphQLClient, customerId: string, seed: number): LoadClient {
  let orderId: string | undefined;
  let n = seed;
  return {
    async op() {
      n++;
      if (orderId === undefined) {
        const data = await gql<{ placeOrder: { aggregateId: string } }>(PLACE, {
          input: { customerId, items: [item(n)] },
        });
        orderId = data.placeOrder.aggregateId;
        return 'placeOrder';
      }
      const target = orderId;
      orderId = undefined; // next: a new order, whether or not this one succeeds
      await gql(ADD, { input: { orderId: target, item: item(n) } });
      return 'addItem';
    },
  };
}

type RawClient = LoadClient & { close(): Promise<void> };

async function rawClient(databaseUrl: string, seed: number): Promise<RawClient> {
  const client = new Client({ connectionString: databaseUrl });
  client.on('error', () => undefined); // a lost connection fails the pending query too: counted there
  await client.connect();
  const nextAppend = rawAppendSequence('raw', null);
  let n = seed;
  return {
    async op() {
      const { aggregateId, first, payload, metadata } = nextAppend(++n);
      await client.query({
        name: 'bench-raw-append',
        text: RAW_APPEND_SQL,
        values: [
          aggregateId,
          'BenchRaw',
          randomUUID(),
          first ? RAW_EVENT_TYPES.first : RAW_EVENT_TYPES.next,
          payload,
          metadata,
        ],
      });
      return first ? 'newStream' : 'nextEvent';
    },
    close: () => client.end(),
  };
}

async function rawClients(databaseUrl: string, count: number): Promise<RawClient[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => rawClient(databaseUrl, i * 1000)));
}

export const appendsStage: Stage = {
  name: 'appends',
  estimateSeconds(mode) {
    const p = PARAMETERS[mode];
    return (p.warmupMs * 1.5 + p.levels.length * 2 * p.durationMs) / 1000 + 3 * p.levels.length;
  },
  async run(context) {
    const { mode, server, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const gql = graphqlClient(server.graphqlUrl, { authorization: server.authorization });

    const customers = await registerCustomers(gql, p.customers, 'Bench');
    progress.info(`registered ${customers.length} customers`);
    const serviceClients = (count: number) =>
      Array.from({ length: count }, (_, i) => serviceClient(gql, customers[i % customers.length]!, i * 1000));

    // Warm-up (not reported): the server's JIT, Apollo's document cache, pg's prepared statements, the connections.
    const warmupClients = Math.min(8, Math.max(...p.levels));
    await measure(
      context,
      `warm-up service, ${warmupClients} clients`,
      'mutations/s',
      serviceClients(warmupClients),
      p.warmupMs,
    );
    await settle(context, p.settleMaxMs, 'the warm-up');
    const warmupRaw = await rawClients(databaseUrl, warmupClients);
    try {
      await measure(context, `warm-up raw pg, ${warmupClients} clients`, 'appends/s', warmupRaw, p.warmupMs / 2);
    } finally {
      await Promise.all(warmupRaw.map((c) => c.close()));
    }

    const figures: Figure[] = [];
    const problems: string[] = [];
    const disturbedLevels: number[] = [];
    const levels: Record<string, unknown> = {};
    for (const clients of p.levels) {
      const noun = clients === 1 ? 'client' : 'clients';
      // Each measurement starts with an idle server and without the previous one's dirty pages to write back.
      const settledBeforeService = await settle(context, p.settleMaxMs, 'the previous measurement');
      const checkpointed = await checkpoint(databaseUrl);
      const service = await measure(
        context,
        `service, ${clients} ${noun}`,
        'mutations/s',
        serviceClients(clients),
        p.durationMs,
      );
      const settledAfterService = await settle(context, p.settleMaxMs, `the service at ${clients} ${noun}`);
      if (checkpointed) await checkpoint(databaseUrl);
      const raw = await rawClients(databaseUrl, clients);
      let baseline: LoadResult;
      try {
        baseline = await measure(context, `raw pg, ${clients} ${noun}`, 'appends/s', raw, p.durationMs);
      } finally {
        await Promise.all(raw.map((c) => c.close()));
      }
      levels[`c${clients}`] = {
        service: { ...service, cpuPerMutation: costPerOp(service), serverSettledBefore: settledBeforeService },
        baseline: { ...baseline, cpuPerAppend: costPerOp(baseline), serverSettledBefore: settledAfterService },
      };
      const disturbed = [service, baseline].some((r) => (r.cpu.otherCores ?? 0) > NOISY_NEIGHBOURS);
      if (disturbed) disturbedLevels.push(clients);
      if (service.errors > 0) problems.push(`service at ${clients} ${noun}: ${service.errors} mutations failed`);
      if (baseline.errors > 0) problems.push(`raw pg at ${clients} ${noun}: ${baseline.errors} appends failed`);
      if (service.ops === 0 || baseline.ops === 0) {
        problems.push(`nothing completed at ${clients} ${noun}`);
        continue;
      }

      const rawLabel = `raw pg appends, ${clients} ${noun}`;
      figures.push(
        figure(
          'appends',
          `c${clients}.rate`,
          `placeOrder+addItem, ${clients} ${noun}`,
          service.perSecond,
          'mutations/s',
          {
            label: rawLabel,
            value: baseline.perSecond,
            unit: 'appends/s',
          },
        ),
        figure('appends', `c${clients}.p50`, `  mutation round trip p50`, service.latencyMs.p50, 'ms', {
          label: `${rawLabel}, p50`,
          value: baseline.latencyMs.p50,
          unit: 'ms',
        }),
        figure('appends', `c${clients}.p99`, `  mutation round trip p99`, service.latencyMs.p99, 'ms', {
          label: `${rawLabel}, p99`,
          value: baseline.latencyMs.p99,
          unit: 'ms',
        }),
      );
    }
    const notes = disturbedLevels.length
      ? [
          `appends at ${disturbedLevels.join(', ')} client(s): other processes on this machine used more than ` +
            `${NOISY_NEIGHBOURS} cores during the measurement (see stages.appends.details.levels.*.*.cpu in latest.json)`,
        ]
      : [];
    return {
      figures,
      problems,
      notes,
      details: {
        parameters: p,
        mutations: { placeOrder: PLACE, addItem: ADD },
        baselineSql: RAW_APPEND_SQL,
        disturbedLevels,
        levels,
      },
    };
  },
};
