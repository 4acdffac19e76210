import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { EVENT_COLUMNS } from '../../src/eventstore/rows';
import { ORDER_EVENT_TYPES } from '../../src/orders/events';
import { checkpoint } from '../lib/database';
import { graphqlClient } from '../lib/graphql';
import { NOISY_NEIGHBOURS } from '../lib/measure';
import { registerCustomers } from '../lib/order-workload';
import { cpuWindow, waitUntilIdle, type CpuWindow } from '../lib/proc';
import { figure, type BenchContext, type Figure, type Mode, type Stage } from './types';

/**
 * Projector speed over a big log.
 *
 * 1. Fill: ≥ 1,000,000 order events (quick: 50,000) written straight into the log with SQL, not through the API:
 *    orders of four events each (OrderPlaced, ItemAdded, ItemAdded, OrderPaid, with the payloads the service
 *    writes, money as "12.34" strings), for customers registered through the API, with their `streams` rows, in
 *    transactions of at most 65,535 events whose positions are `(pg_current_xact_id() << 16) + n`, as the
 *    service's appends number them. While the fill runs, one transaction that started before it stays open (the
 *    gate): the log's gap-safe readers see nothing past it, so the server's projectors and tailer see none of the
 *    fill until the gate commits. `VACUUM (ANALYZE)` then gives the new rows statistics and hint bits.
 * 2. Raw baseline, still behind the gate (the server idle): a keyset scan of the same log with `pg` (the event
 *    columns the service reads, the orders projector's event types, 5,000 rows a page, a named prepared
 *    statement): events/s.
 * 3. Live catch-up: the gate commits (with the NOTIFY another instance's append would send), and the server's live
 *    projectors (orders and customers, side by side as they run) work through the fill: events/s until the
 *    `orders` checkpoint passes the last filled event.
 * 4. Rebuild, on the log vacuumed again (all-visible, as a production log would be): `rebuildProjection(name:
 *    "orders")` through the server, timed until the fresh tables are swapped in (projection_checkpoints: rebuild
 *    request cleared, status RUNNING): events/s over every event of the orders projector's types in the log.
 *
 * Steps 3 and 4 each have a time budget: when the rate so far says one would not finish within it, the run stops
 * waiting, reports the rate so far (marked PARTIAL in the table) and a problem, rather than overrunning the run's
 * time limit. Progress is read from projection_checkpoints (the catch-up's from the checkpoint's position within
 * the fill's transactions, the rebuild's from rebuild_events).
 */

type Budget = { maxMs: number; observeMs: number };
const PARAMETERS: Record<
  Mode,
  { events: number; customers: number; fillConnections: number; catchUp: Budget; rebuild: Budget; settleMaxMs: number }
> = {
  quick: {
    events: 50_000,
    customers: 20,
    fillConnections: 1,
    catchUp: { maxMs: 40_000, observeMs: 10_000 },
    rebuild: { maxMs: 40_000, observeMs: 10_000 },
    settleMaxMs: 10_000,
  },
  full: {
    events: 1_000_000,
    customers: 200,
    fillConnections: 1,
    catchUp: { maxMs: 150_000, observeMs: 20_000 },
    rebuild: { maxMs: 240_000, observeMs: 30_000 },
    settleMaxMs: 60_000,
  },
};

const EVENTS_PER_ORDER = 4;
/** 16,000 orders × 4 events = 64,000 events: within the 65,535 positions one transaction may number. */
const ORDERS_PER_TRANSACTION = 16_000;
const SCAN_PAGE = 5000;

const REBUILD = `mutation Rebuild($name: String!) { rebuildProjection(name: $name) { name status } }`;
const PROJECTIONS = `query { projections { name status checkpoint lag rebuildEvents } }`;

/**
 * One transaction's worth of orders [$2, $3): their stream rows, then their events. Order g's id is a UUID derived
 * from the run's seed (random-looking, as the service's are); its items' prices and quantities vary with g; every
 * amount is a two-decimal string. Event and correlation ids are time-ordered UUIDs (uuidv7, PostgreSQL 18+) where
 * available: their unique and expression indexes then grow at one end instead of taking a random page per row,
 * which keeps the fill fast; no projector or reader of the log looks at them. Elsewhere gen_random_uuid().
 * $1 seed, $2 first order, $3 end (exclusive), $4 customer ids.
 */
const FILL_STREAMS_SQL = `INSERT INTO streams (aggregate_id, aggregate_type, version)
  SELECT md5($1 || g)::uuid::text, 'Order', ${EVENTS_PER_ORDER} FROM generate_series($2::int, $3::int - 1) g`;

const fillEventsSql = (uuid: string) => `WITH o AS (
    SELECT g, md5($1 || g)::uuid::text AS id, ${uuid}::text AS correlation,
      ($4::text[])[1 + g % cardinality($4::text[])] AS customer,
      round(1 + ((g * 31) % 5000) / 100.0, 2) AS p1, 1 + g % 3 AS q1,
      round(1 + ((g * 31 + 17) % 5000) / 100.0, 2) AS p2, 1 + (g + 1) % 3 AS q2,
      round(1 + ((g * 31 + 34) % 5000) / 100.0, 2) AS p3, 1 + (g + 2) % 3 AS q3
    FROM generate_series($2::int, $3::int - 1) g)
  INSERT INTO events (position, event_id, aggregate_id, aggregate_type, version, event_type, payload, metadata)
  SELECT (pg_current_xact_id()::text::bigint << 16) + (o.g - $2::int) * ${EVENTS_PER_ORDER} + v,
    ${uuid}, o.id, 'Order', v,
    (ARRAY['OrderPlaced', 'ItemAdded', 'ItemAdded', 'OrderPaid'])[v],
    CASE v
      WHEN 1 THEN jsonb_build_object('customerId', o.customer,
        'items', jsonb_build_array(jsonb_build_object('productId', 'sku-' || (o.g % 97), 'quantity', o.q1, 'unitPrice', o.p1::text)),
        'totalAmount', (o.p1 * o.q1)::text)
      WHEN 2 THEN jsonb_build_object('item', jsonb_build_object('productId', 'sku-' || ((o.g + 1) % 97), 'quantity', o.q2, 'unitPrice', o.p2::text))
      WHEN 3 THEN jsonb_build_object('item', jsonb_build_object('productId', 'sku-' || ((o.g + 2) % 97), 'quantity', o.q3, 'unitPrice', o.p3::text))
      ELSE jsonb_build_object('amount', (o.p1 * o.q1 + o.p2 * o.q2 + o.p3 * o.q3)::text)
    END,
    jsonb_build_object('correlationId', o.correlation, 'causationId', o.correlation, 'userId', 'bench')
  FROM o CROSS JOIN generate_series(1, ${EVENTS_PER_ORDER}) v`;

const SCAN_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 AND event_type = ANY($2::text[])
  ORDER BY position LIMIT ${SCAN_PAGE}`;

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a lost connection fails the pending query, which reports it
  await client.connect();
  return client;
}

type CheckpointState = {
  name: string;
  position: string;
  status: string;
  requested: boolean;
  rebuildEvents: string | null;
  lastError: string | null;
};

async function checkpoints(db: Client): Promise<Map<string, CheckpointState>> {
  const { rows } = await db.query<CheckpointState>({
    name: 'bench-checkpoints',
    text: `SELECT name, position::text AS position, status, rebuild_requested_at IS NOT NULL AS requested,
             rebuild_events::text AS "rebuildEvents", last_error AS "lastError" FROM projection_checkpoints`,
  });
  return new Map(rows.map((r) => [r.name, r]));
}

async function autovacuumCount(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT (autovacuum_count + autoanalyze_count)::text AS n FROM pg_stat_user_tables WHERE relname = 'events'`,
  );
  return Number(rows[0]?.n ?? 0);
}

const rate = (events: number, ms: number) => Number(((events * 1000) / Math.max(1, ms)).toFixed(0));

function cpuText(cpu: CpuWindow): string {
  return `CPU cores: server ${cpu.serverCores}, postgres ${cpu.databaseCores ?? '?'}, bench ${cpu.benchCores}, other ${cpu.otherCores ?? '?'}`;
}

async function fill(
  context: BenchContext,
  customers: string[],
  orders: number,
  connections: number,
): Promise<{ seconds: number; events: number; transactions: { xid: string; events: number }[]; sql: string[] }> {
  const { databaseUrl, progress } = context;
  const seed = `bench-rebuild-${randomBytes(4).toString('hex')}-`;
  const chunks: [number, number][] = [];
  for (let g = 0; g < orders; g += ORDERS_PER_TRANSACTION)
    chunks.push([g, Math.min(orders, g + ORDERS_PER_TRANSACTION)]);
  let done = 0;
  const transactions: { xid: string; events: number }[] = [];
  const started = performance.now();
  const clients = await Promise.all(
    Array.from({ length: Math.min(connections, chunks.length) }, () => connect(databaseUrl)),
  );
  let eventsSql = fillEventsSql('gen_random_uuid()');
  try {
    const { rows: v7 } = await clients[0]!.query<{ v7: boolean }>(`SELECT to_regproc('uuidv7') IS NOT NULL AS v7`);
    if (v7[0]?.v7) eventsSql = fillEventsSql('uuidv7()');
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < chunks.length) {
          const [from, to] = chunks[next++]!;
          await client.query('BEGIN');
          try {
            const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
            await client.query(FILL_STREAMS_SQL, [seed, from, to]);
            await client.query(eventsSql, [seed, from, to, customers]);
            await client.query('COMMIT');
            transactions.push({ xid: rows[0]!.xid, events: (to - from) * EVENTS_PER_ORDER });
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
          done += (to - from) * EVENTS_PER_ORDER;
          const ms = performance.now() - started;
          progress.update(
            `fill: ${done.toLocaleString('en-US')} / ${(orders * EVENTS_PER_ORDER).toLocaleString('en-US')} events ` +
              `(${rate(done, ms).toLocaleString('en-US')} events/s)`,
          );
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
  const seconds = (performance.now() - started) / 1000;
  progress.done(
    `fill: ${done.toLocaleString('en-US')} order events (${orders.toLocaleString('en-US')} orders) in ${chunks.length} ` +
      `transactions (${connections} connection${connections === 1 ? '' : 's'}), ${seconds.toFixed(1)} s (${rate(done, seconds * 1000).toLocaleString('en-US')} events/s, SQL only)`,
  );
  return { seconds: Number(seconds.toFixed(2)), events: done, transactions, sql: [FILL_STREAMS_SQL, eventsSql] };
}

/** The raw baseline: a keyset scan of the log's order events, as the rebuild reads them. */
async function scan(context: BenchContext): Promise<{ events: number; ms: number; pages: number; cpu: CpuWindow }> {
  const { databaseUrl, progress, server } = context;
  const client = await connect(databaseUrl);
  try {
    const endCpu = cpuWindow(server.pid, context.databasePid);
    const started = performance.now();
    let after = '0';
    let events = 0;
    let pages = 0;
    for (;;) {
      const { rows } = await client.query<{ position: string }>({
        name: 'bench-keyset-scan',
        text: SCAN_SQL,
        values: [after, ORDER_EVENT_TYPES],
      });
      pages++;
      if (rows.length === 0) break;
      events += rows.length;
      after = rows[rows.length - 1]!.position;
      progress.update(`raw keyset scan: ${events.toLocaleString('en-US')} events`);
      if (rows.length < SCAN_PAGE) break;
    }
    const ms = performance.now() - started;
    const cpu = endCpu();
    progress.done(
      `raw keyset scan: ${events.toLocaleString('en-US')} events in ${(ms / 1000).toFixed(2)} s ` +
        `(${rate(events, ms).toLocaleString('en-US')} events/s), ${cpuText(cpu)}`,
    );
    return { events, ms, pages, cpu };
  } finally {
    await client.end();
  }
}

type Followed = {
  /** Milliseconds followed. */
  ms: number;
  /** Events done when it finished or was given up. */
  done: number;
  finished: boolean;
  /** Given up early: at the rate so far it would have taken this long in all (ms). */
  projectedMs?: number;
};

/**
 * Follows a long operation by polling `poll` every 50 ms until it finishes, or `maxMs` passes, or (after
 * `observeMs`) its rate so far says it would not finish within `maxMs`: the rate of a part is then the figure, and
 * the run says so, instead of spending the run's whole budget waiting.
 */
async function follow(
  context: BenchContext,
  label: string,
  total: number,
  budget: { maxMs: number; observeMs: number },
  poll: () => Promise<{ done: number; finished: boolean }>,
): Promise<Followed> {
  const started = performance.now();
  for (;;) {
    const { done, finished } = await poll();
    const ms = performance.now() - started;
    if (finished) return { ms, done: total, finished: true };
    const projectedMs = done > 0 ? (ms * total) / done : Number.POSITIVE_INFINITY;
    if (ms >= budget.maxMs || (ms >= budget.observeMs && projectedMs > budget.maxMs)) {
      return {
        ms,
        done,
        finished: false,
        projectedMs: Number.isFinite(projectedMs) ? Math.round(projectedMs) : undefined,
      };
    }
    context.progress.update(
      `${label}: ${(ms / 1000).toFixed(1)} s, ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events ` +
        `(${rate(done, ms).toLocaleString('en-US')} events/s)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function describeFollowed(f: Followed, total: number): string {
  return f.finished
    ? `${total.toLocaleString('en-US')} events in ${(f.ms / 1000).toFixed(1)} s`
    : `NOT FINISHED: ${f.done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events in ${(f.ms / 1000).toFixed(1)} s` +
        (f.projectedMs ? ` (at that rate all would take ${(f.projectedMs / 1000).toFixed(0)} s)` : '');
}

export const rebuildStage: Stage = {
  name: 'rebuild',
  estimateSeconds(mode) {
    // Fill, scan, catch-up and rebuild at the rates this machine showed (≈ 25k, 60k, 10k, 10k events/s), within
    // their budgets.
    const p = PARAMETERS[mode];
    const events = p.events;
    return (
      5 +
      events / 25_000 +
      events / 60_000 +
      Math.min(p.catchUp.maxMs / 1000, events / 10_000) +
      Math.min(p.rebuild.maxMs / 1000, events / 10_000)
    );
  },
  async run(context) {
    const { mode, server, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const gql = graphqlClient(server.graphqlUrl, { authorization: server.authorization });
    const figures: Figure[] = [];
    const problems: string[] = [];
    const notes: string[] = [];

    const customers = await registerCustomers(gql, p.customers, 'Rebuild');
    progress.info(`registered ${customers.length} customers through the API`);
    await waitUntilIdle(server.pid, { maxMs: p.settleMaxMs });

    const db = await connect(databaseUrl);
    const gate = await connect(databaseUrl);
    try {
      // 1. Fill, behind the gate: a transaction with an id, open for the whole fill, holds the readers' horizon
      //    before the first filled event, so the server's projectors (and its log tailer) see none of it yet.
      await gate.query('BEGIN');
      await gate.query('SELECT pg_current_xact_id()');
      const orders = Math.ceil(p.events / EVENTS_PER_ORDER);
      const filled = await fill(context, customers, orders, p.fillConnections);
      const { rows: headRows } = await db.query<{ head: string }>(
        `SELECT max(position)::text AS head FROM events WHERE aggregate_type = 'Order'`,
      );
      const fillHead = BigInt(headRows[0]!.head);
      // How many filled events lie at or below a position (each fill transaction numbered 1..n from xid << 16).
      const filledUpTo = (position: bigint) =>
        filled.transactions.reduce((sum, t) => {
          const inside = position - (BigInt(t.xid) << 16n);
          return sum + (inside <= 0n ? 0 : inside >= BigInt(t.events) ? t.events : Number(inside));
        }, 0);

      // 2. Statistics and hint bits for the new rows (still behind the gate, which keeps them from becoming
      //    all-visible), and no checkpoint debt, before anything is timed.
      let started = performance.now();
      await db.query('VACUUM (ANALYZE) events');
      const vacuumSeconds = [Number(((performance.now() - started) / 1000).toFixed(2))];
      await checkpoint(databaseUrl);

      // 3. The raw baseline, while the server sees none of the fill and sits idle.
      const { rows: countRows } = await db.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM events WHERE event_type = ANY($1::text[])',
        [ORDER_EVENT_TYPES],
      );
      const logEvents = Number(countRows[0]!.n);
      const raw = await scan(context);
      if (raw.events !== logEvents)
        problems.push(`rebuild baseline: the scan read ${raw.events} events, the log holds ${logEvents}`);
      const rawRate = rate(raw.events, raw.ms);
      const baseline = { label: 'raw keyset scan of the same log', value: rawRate, unit: 'events/s' };

      // 4. Live catch-up: open the gate (with the NOTIFY another instance's append would send) and follow the
      //    server's live projectors through the fill.
      const autovacuumBefore = await autovacuumCount(db);
      const endCatchUpCpu = cpuWindow(server.pid, context.databasePid);
      await gate.query(`SELECT pg_notify('orderstream_events', '')`);
      await gate.query('COMMIT');
      const caughtUp: Record<string, number> = {};
      let last = new Map<string, CheckpointState>();
      const opened = performance.now();
      const catchUp = await follow(context, 'live catch-up (orders)', filled.events, p.catchUp, async () => {
        last = await checkpoints(db);
        for (const [name, row] of last) {
          if (row.status === 'FAILED')
            throw new Error(`the ${name} projector FAILED on the filled events: ${row.lastError}`);
          if (caughtUp[name] === undefined && BigInt(row.position) >= fillHead)
            caughtUp[name] = performance.now() - opened;
        }
        const position = BigInt(last.get('orders')?.position ?? '0');
        return { done: filledUpTo(position), finished: position >= fillHead };
      });
      const catchUpCpu = endCatchUpCpu();
      const autovacuumDuring = (await autovacuumCount(db)) - autovacuumBefore;
      const catchUpRate = rate(catchUp.done, catchUp.ms);
      const progressByProjector = Object.fromEntries(
        [...last].map(([name, row]) => [
          name,
          { filledEventsPassed: filledUpTo(BigInt(row.position)), caughtUpMs: caughtUp[name] },
        ]),
      );
      progress.done(
        `live catch-up (orders): ${describeFollowed(catchUp, filled.events)}, ${catchUpRate.toLocaleString('en-US')} events/s; ` +
          `${Object.entries(progressByProjector)
            .map(
              ([n, v]) =>
                `${n} ${v.caughtUpMs !== undefined ? `caught up in ${(v.caughtUpMs / 1000).toFixed(1)} s` : `at ${v.filledEventsPassed.toLocaleString('en-US')}`}`,
            )
            .join(', ')}; ${cpuText(catchUpCpu)}`,
      );
      const allCaughtUp = [...last.keys()].every((n) => caughtUp[n] !== undefined);
      if (!catchUp.finished) {
        problems.push(
          `rebuild stage: the live projectors did not catch up with ${filled.events.toLocaleString('en-US')} new events in time: ` +
            `${describeFollowed(catchUp, filled.events)}; the rebuild below ran while they were still catching up`,
        );
      }
      figures.push(
        figure(
          'rebuild',
          'catchUp',
          `live catch-up, ${filled.events.toLocaleString('en-US')} new events (orders; customers alongside)` +
            (catchUp.finished
              ? ''
              : ` PARTIAL: ${catchUp.done.toLocaleString('en-US')} in ${(catchUp.ms / 1000).toFixed(0)} s`),
          catchUpRate,
          'events/s',
          baseline,
        ),
      );

      // 5. The log as a production one would be (vacuumed: all-visible), the server idle if it caught up.
      const settled = allCaughtUp ? await waitUntilIdle(server.pid, { maxMs: p.settleMaxMs }) : undefined;
      started = performance.now();
      await db.query('VACUUM events');
      vacuumSeconds.push(Number(((performance.now() - started) / 1000).toFixed(2)));
      await checkpoint(databaseUrl);

      // 6. Rebuild through the server, until the fresh tables are swapped in.
      const endRebuildCpu = cpuWindow(server.pid, context.databasePid);
      const requested = await gql<{ rebuildProjection: { name: string; status: string } }>(REBUILD, { name: 'orders' });
      let sawRebuilding = requested.rebuildProjection.status === 'REBUILDING';
      const rebuild = await follow(context, 'rebuild (orders)', logEvents, p.rebuild, async () => {
        const row = (await checkpoints(db)).get('orders');
        if (!row) throw new Error('the orders projector has no checkpoint row');
        if (row.status === 'FAILED') throw new Error(`the orders rebuild FAILED: ${row.lastError}`);
        if (row.status === 'REBUILDING') sawRebuilding = true;
        return { done: Number(row.rebuildEvents ?? 0), finished: !row.requested && row.status === 'RUNNING' };
      });
      const rebuildCpu = endRebuildCpu();
      const rebuildRate = rate(rebuild.done, rebuild.ms);
      progress.done(
        `rebuild (orders): ${describeFollowed(rebuild, logEvents)}, ${rebuildRate.toLocaleString('en-US')} events/s; ${cpuText(rebuildCpu)}`,
      );
      figures.push(
        figure(
          'rebuild',
          'rebuild',
          `rebuild orders projector, ${logEvents.toLocaleString('en-US')} events` +
            (rebuild.finished
              ? ''
              : ` PARTIAL: ${rebuild.done.toLocaleString('en-US')} in ${(rebuild.ms / 1000).toFixed(0)} s`),
          rebuildRate,
          'events/s',
          baseline,
        ),
      );

      let after: unknown;
      if (rebuild.finished) {
        // The server's own account afterwards, and a check of what the rebuild produced.
        const report = await gql<{ projections: { name: string; status: string; checkpoint: string; lag: number }[] }>(
          PROJECTIONS,
        );
        const ordersReport = report.projections.find((r) => r.name === 'orders');
        if (ordersReport?.status !== 'RUNNING')
          problems.push(`after the rebuild, projections says orders is ${ordersReport?.status}`);
        const { rows: tableRows } = await db.query<{ orders: string; paid: string }>(
          `SELECT count(*)::text AS orders, count(*) FILTER (WHERE status = 'PAID')::text AS paid FROM orders`,
        );
        const { rows: streamRows } = await db.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM streams WHERE aggregate_type = 'Order'`,
        );
        if (tableRows[0]!.orders !== streamRows[0]!.n) {
          problems.push(
            `after the rebuild the orders table has ${tableRows[0]!.orders} rows, the log ${streamRows[0]!.n} orders`,
          );
        }
        after = { projections: report.projections, ordersTable: tableRows[0], orderStreams: streamRows[0]!.n };
      } else {
        problems.push(
          `rebuild: the orders rebuild did not finish in time: ${describeFollowed(rebuild, logEvents)}; its figure is the rate so far`,
        );
      }

      if (!allCaughtUp) {
        notes.push(
          'rebuild: the live projectors had not caught up when the rebuild started (see problems), so the rebuild ' +
            'shared the server and PostgreSQL with their catch-up',
        );
      }
      for (const [name, cpu] of [
        ['raw keyset scan', raw.cpu],
        ['live catch-up', catchUpCpu],
        ['rebuild', rebuildCpu],
      ] as const) {
        if ((cpu.otherCores ?? 0) > NOISY_NEIGHBOURS) {
          notes.push(
            `rebuild stage, ${name}: other processes used ${cpu.otherCores} cores meanwhile: this figure is disturbed`,
          );
        }
      }
      if (autovacuumDuring > 0) {
        notes.push(
          'rebuild: autovacuum worked on the events table during the live catch-up (its figure includes that competition)',
        );
      }
      if (rebuild.finished && !sawRebuilding)
        notes.push('rebuild: the poller never saw the REBUILDING status (the rebuild was quicker than a poll)');
      return {
        figures,
        problems,
        notes,
        details: {
          parameters: {
            ...p,
            eventsPerOrder: EVENTS_PER_ORDER,
            ordersPerTransaction: ORDERS_PER_TRANSACTION,
            scanPage: SCAN_PAGE,
          },
          fill: { ...filled, head: fillHead.toString() },
          vacuumSeconds,
          baseline: { ...raw, eventsPerSecond: rawRate, sql: SCAN_SQL },
          catchUp: {
            ...catchUp,
            events: filled.events,
            eventsPerSecond: catchUpRate,
            byProjector: progressByProjector,
            autovacuumRunsOnEventsDuring: autovacuumDuring,
            cpu: catchUpCpu,
            settledAfter: settled,
          },
          rebuild: { ...rebuild, events: logEvents, eventsPerSecond: rebuildRate, cpu: rebuildCpu, after },
        },
      };
    } finally {
      await gate.query('ROLLBACK').catch(() => undefined);
      await gate.end().catch(() => undefined);
      await db.end().catch(() => undefined);
    }
  },
};
