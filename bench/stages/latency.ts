import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { checkpoint } from '../lib/database';
import { pooledGraphqlClient, type GraphQLClient } from '../lib/graphql';
import { openLoop, waitFor } from '../lib/openloop';
import { item, rawAppendSequence, registerCustomers } from '../lib/order-workload';
import { cpuWindow, type CpuWindow } from '../lib/proc';
import { NOISY_NEIGHBOURS, settle } from '../lib/measure';
import { rounded, summarize, type Summary } from '../lib/stats';
import { subscribe, wsClient, type Subscription } from '../lib/subscriptions';
import { figure, type BenchContext, type Figure, type Mode, type Stage } from './types';

/**
 * Latency at a fixed offered load. An open-loop scheduler sends placeOrder / addItem mutations over HTTP (a
 * keep-alive pool of at most 64 connections; requests beyond wait for one, and that wait counts) at a fixed rate
 * whatever the answers do (each addItem goes to an order whose placeOrder has been answered; with none
 * waiting, a new order is placed), while one graphql-ws client is subscribed to `events(filter: {aggregateType:
 * Order})` and another to `ordersChanged`. Measured per command, from the moment it is sent:
 *   - the mutation round trip (the mutation asks back only aggregateId, version, position: no read-your-writes
 *     `order` field, so the round trip is the command side alone);
 *   - until its event arrives on `events` (matched by aggregateId + version);
 *   - until `ordersChanged` shows its order at the command's version or later (changes may arrive combined).
 * A command whose message never arrives (within a grace period after the last answer) is counted as missed.
 *
 * Baseline, same run, same database, same offered load and scheduler: a raw append transaction with `pg` (the
 * appends stage's single-event append: stream upsert + event insert, as one named prepared statement, into
 * throwaway copies of `streams` and `events` with the same columns, constraints and indexes) that also NOTIFYs in
 * the same transaction, from a pool of as many connections as the server's; measured are the transaction's round
 * trip and the time from sending it to a LISTENing client's receiving the notification. The notification latency
 * is the baseline of both subscription latencies: it is what "a commit reaches a listener" costs raw.
 */

const PARAMETERS: Record<
  Mode,
  {
    rates: number[];
    durationMs: number;
    warmupCommands: number;
    answerMaxMs: number;
    messageGraceMs: number;
    settleMaxMs: number;
    customers: number;
    /** HTTP connections to the server at most (requests beyond wait in this process, and that wait counts). */
    httpConnections: number;
    rawConnections: number;
  }
> = {
  quick: {
    rates: [100],
    durationMs: 4_000,
    warmupCommands: 40,
    answerMaxMs: 30_000,
    messageGraceMs: 5_000,
    settleMaxMs: 5_000,
    customers: 8,
    httpConnections: 64,
    rawConnections: 20,
  },
  full: {
    rates: [200, 500],
    durationMs: 10_000,
    warmupCommands: 200,
    answerMaxMs: 90_000,
    messageGraceMs: 10_000,
    settleMaxMs: 60_000,
    customers: 8,
    httpConnections: 64,
    rawConnections: 20,
  },
};

const PLACE = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { aggregateId version position }
}`;
const ADD = `mutation Add($input: AddItemInput!) {
  addItem(input: $input) { aggregateId version position }
}`;
const EVENTS_SUBSCRIPTION = `subscription { events(filter: { aggregateType: Order }) { aggregateId version eventType position } }`;
const ORDERS_SUBSCRIPTION = `subscription { ordersChanged { id version } }`;

type CommandResult = { aggregateId: string; version: number; position: string };

/** What the two subscriptions delivered, by arrival time (performance.now() of this process). */
class Feeds {
  /** `${aggregateId}:${version}` → first arrival on `events`. */
  readonly events = new Map<string, number>();
  /** order id → every `ordersChanged` message for it, in arrival order. */
  readonly orders = new Map<string, { at: number; version: number }[]>();
  readonly subscriptions: Subscription[] = [];

  eventArrival(aggregateId: string, version: number): number | undefined {
    return this.events.get(`${aggregateId}:${version}`);
  }

  orderArrival(orderId: string, version: number): number | undefined {
    return this.orders.get(orderId)?.find((m) => m.version >= version)?.at;
  }

  get errors(): string[] {
    return this.subscriptions.flatMap((s) => s.errors);
  }
}

type Command = {
  op: 'placeOrder' | 'addItem';
  sentAt: number;
  answeredAt?: number;
  result?: CommandResult;
  error?: string;
};

type Run = {
  offered: number;
  sent: number;
  sentPerSecond: number;
  /** Successful answers ÷ (last answer − first send). */
  achievedPerSecond: number;
  ok: number;
  errors: number;
  errorSamples: Record<string, number>;
  /** How late the scheduler sent, against each send's slot (this process's delay). */
  schedulerLagMs: Summary;
  roundTripMs: Summary;
  /** events subscription (service) or LISTEN (raw) */
  messageMs: Summary;
  ordersChangedMs?: Summary;
  missedEvents: number;
  missedOrdersChanged?: number;
  /** From the first send until every answer and message arrived (or the grace period ended). */
  drainSeconds: number;
  cpu: CpuWindow;
};

/** An error's message, with its cause's (fetch reports only "fetch failed"; the cause says why). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return `${error.message}: ${code ? `${code} ` : ''}${cause.message}`;
  }
  return error.message;
}

function recordError(samples: Record<string, number>, message: string): void {
  if (message in samples || Object.keys(samples).length < 5) samples[message] = (samples[message] ?? 0) + 1;
}

/** Waits for in-flight answers, then for the messages still missing, showing progress. */
async function drain(
  context: BenchContext,
  label: string,
  options: {
    inFlight: () => number;
    missing: () => number;
    answerMaxMs: number;
    graceMs: number;
  },
): Promise<void> {
  const { progress } = context;
  await waitFor(() => options.inFlight() === 0, {
    timeoutMs: options.answerMaxMs,
    everyMs: 50,
    onTick: (ms) =>
      progress.update(`${label}: waiting for ${options.inFlight()} answers (${(ms / 1000).toFixed(1)} s)`),
  });
  // Messages still on their way: wait while they keep coming, at most `graceMs` without any progress.
  let lastMissing = options.missing();
  let lastProgress = performance.now();
  await waitFor(
    () => {
      const missing = options.missing();
      if (missing < lastMissing) {
        lastMissing = missing;
        lastProgress = performance.now();
      }
      return missing === 0 || performance.now() - lastProgress > options.graceMs;
    },
    {
      timeoutMs: options.answerMaxMs,
      everyMs: 50,
      onTick: () => progress.update(`${label}: waiting for ${options.missing()} subscription messages`),
    },
  );
}

async function serviceRun(
  context: BenchContext,
  gql: GraphQLClient,
  customers: string[],
  feeds: Feeds,
  rate: number,
  p: (typeof PARAMETERS)[Mode],
): Promise<Run> {
  const { progress, server } = context;
  const label = `service, ${rate} commands/s offered`;
  const commands: Command[] = [];
  const placed: string[] = [];
  let inFlight = 0;
  const errorSamples: Record<string, number> = {};
  const endCpu = cpuWindow(server.pid, context.databasePid);
  const started = performance.now();
  const loop = await openLoop({
    ratePerSecond: rate,
    durationMs: p.durationMs,
    onTick: (ms, sent) =>
      progress.update(
        `${label}: ${(ms / 1000).toFixed(1)}/${(p.durationMs / 1000).toFixed(0)} s, sent ${sent}, ` +
          `answered ${commands.filter((c) => c.answeredAt !== undefined).length}, in flight ${inFlight}`,
      ),
    send: (i) => {
      const target = placed.shift();
      const command: Command = { op: target ? 'addItem' : 'placeOrder', sentAt: performance.now() };
      commands.push(command);
      inFlight++;
      const request = target
        ? gql<{ addItem: CommandResult }>(ADD, { input: { orderId: target, item: item(i) } }).then((d) => d.addItem)
        : gql<{ placeOrder: CommandResult }>(PLACE, {
            input: { customerId: customers[i % customers.length], items: [item(i)] },
          }).then((d) => d.placeOrder);
      request
        .then(
          (result) => {
            command.answeredAt = performance.now();
            command.result = result;
            if (!target) placed.push(result.aggregateId);
          },
          (error: unknown) => {
            command.answeredAt = performance.now();
            command.error = describe(error);
            recordError(errorSamples, command.error);
          },
        )
        .finally(() => inFlight--);
    },
  });
  const ok = () => commands.filter((c) => c.result);
  const missingEvents = () =>
    ok().filter((c) => feeds.eventArrival(c.result!.aggregateId, c.result!.version) === undefined).length;
  const missingOrders = () =>
    ok().filter((c) => feeds.orderArrival(c.result!.aggregateId, c.result!.version) === undefined).length;
  await drain(context, label, {
    inFlight: () => inFlight,
    missing: () => missingEvents() + missingOrders(),
    answerMaxMs: p.answerMaxMs,
    graceMs: p.messageGraceMs,
  });
  const cpu = endCpu();
  const drainSeconds = (performance.now() - started) / 1000;

  const answered = ok();
  const roundTrips = answered.map((c) => c.answeredAt! - c.sentAt);
  const eventLatencies: number[] = [];
  const orderLatencies: number[] = [];
  for (const c of answered) {
    const e = feeds.eventArrival(c.result!.aggregateId, c.result!.version);
    if (e !== undefined) eventLatencies.push(e - c.sentAt);
    const o = feeds.orderArrival(c.result!.aggregateId, c.result!.version);
    if (o !== undefined) orderLatencies.push(o - c.sentAt);
  }
  const lastAnswer = Math.max(...commands.map((c) => c.answeredAt ?? 0));
  const firstSent = commands[0]?.sentAt ?? started;
  const run: Run = {
    offered: rate,
    sent: loop.sent,
    sentPerSecond: Number(((loop.sent * 1000) / loop.durationMs).toFixed(1)),
    achievedPerSecond: Number(((answered.length * 1000) / Math.max(1, lastAnswer - firstSent)).toFixed(1)),
    ok: answered.length,
    errors: commands.length - answered.length,
    errorSamples,
    schedulerLagMs: loop.lagMs,
    roundTripMs: rounded(summarize(roundTrips)),
    messageMs: rounded(summarize(eventLatencies)),
    ordersChangedMs: rounded(summarize(orderLatencies)),
    missedEvents: answered.length - eventLatencies.length,
    missedOrdersChanged: answered.length - orderLatencies.length,
    drainSeconds: Number(drainSeconds.toFixed(1)),
    cpu,
  };
  progress.done(
    `${label}: sent ${run.sent} (${run.sentPerSecond}/s), achieved ${run.achievedPerSecond} commands/s, ` +
      `${run.errors} errors; round trip p50 ${run.roundTripMs.p50.toFixed(1)} / p99 ${run.roundTripMs.p99.toFixed(1)} ms; ` +
      `events p50 ${run.messageMs.p50.toFixed(1)} / p99 ${run.messageMs.p99.toFixed(1)} ms; ordersChanged p50 ` +
      `${run.ordersChangedMs!.p50.toFixed(1)} / p99 ${run.ordersChangedMs!.p99.toFixed(1)} ms; missed ${run.missedEvents} + ` +
      `${run.missedOrdersChanged}; CPU cores: server ${cpu.serverCores}, postgres ${cpu.databaseCores ?? '?'}, bench ${cpu.benchCores}`,
  );
  for (const [message, count] of Object.entries(errorSamples)) progress.warn(`${label}: ${count}× ${message}`);
  return run;
}

/** The raw baseline's throwaway tables: copies of the event store's, same columns, constraints and indexes. */
async function createRawTables(databaseUrl: string, suffix: string): Promise<{ streams: string; events: string }> {
  const names = { streams: `bench_latency_streams_${suffix}`, events: `bench_latency_events_${suffix}` };
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ${names.streams} (LIKE streams INCLUDING ALL)`);
    await client.query(`CREATE TABLE ${names.events} (LIKE events INCLUDING ALL)`);
  } finally {
    await client.end();
  }
  return names;
}

async function dropRawTables(databaseUrl: string, names: { streams: string; events: string }): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${names.streams}, ${names.events}`);
  } finally {
    await client.end();
  }
}

/** The appends stage's raw append (stream upsert + event insert) into the throwaway tables, plus a NOTIFY. */
function rawSql(names: { streams: string; events: string }): string {
  return `WITH stream AS (
    INSERT INTO ${names.streams} (aggregate_id, aggregate_type, version) VALUES ($1::text, 'BenchLatency', 1)
    ON CONFLICT (aggregate_id) DO UPDATE SET version = ${names.streams}.version + 1, updated_at = now()
    RETURNING version),
  appended AS (
    INSERT INTO ${names.events} (position, event_id, aggregate_id, aggregate_type, version, event_type, payload, metadata)
    SELECT (pg_current_xact_id()::text::bigint << 16) + 1, $2::uuid, $1::text, 'BenchLatency', stream.version, $3::text,
      $4::jsonb, $5::jsonb
    FROM stream
    RETURNING position, version)
  SELECT pg_notify($6::text, $7::text) AS notified, position::text AS position, version FROM appended`;
}

async function rawRun(
  context: BenchContext,
  pool: Pool,
  notifications: Map<number, number>,
  sql: string,
  channel: string,
  rate: number,
  p: (typeof PARAMETERS)[Mode],
  base: number,
): Promise<Run> {
  const { progress, server } = context;
  const label = `raw pg append + NOTIFY, ${rate}/s offered`;
  const sends: { sentAt: number; answeredAt?: number; error?: string; id: number }[] = [];
  let inFlight = 0;
  const nextAppend = rawAppendSequence('lat', 'bench');
  const errorSamples: Record<string, number> = {};
  const endCpu = cpuWindow(server.pid, context.databasePid);
  const started = performance.now();
  const loop = await openLoop({
    ratePerSecond: rate,
    durationMs: p.durationMs,
    onTick: (ms, sent) =>
      progress.update(
        `${label}: ${(ms / 1000).toFixed(1)}/${(p.durationMs / 1000).toFixed(0)} s, sent ${sent}, in flight ${inFlight}`,
      ),
    send: (i) => {
      const id = base + i;
      const { aggregateId, first, payload, metadata } = nextAppend(i);
      const send = { sentAt: performance.now(), id } as (typeof sends)[number];
      sends.push(send);
      inFlight++;
      pool
        .query({
          name: `bench-latency-raw-${channel}`,
          text: sql,
          values: [
            aggregateId,
            randomUUID(),
            first ? 'BenchLatencyPlaced' : 'BenchLatencyAdded',
            payload,
            metadata,
            channel,
            String(id),
          ],
        })
        .then(
          () => {
            send.answeredAt = performance.now();
          },
          (error: unknown) => {
            send.answeredAt = performance.now();
            send.error = describe(error);
            recordError(errorSamples, send.error);
          },
        )
        .finally(() => inFlight--);
    },
  });
  const ok = () => sends.filter((s) => s.answeredAt !== undefined && !s.error);
  await drain(context, label, {
    inFlight: () => inFlight,
    missing: () => ok().filter((s) => !notifications.has(s.id)).length,
    answerMaxMs: p.answerMaxMs,
    graceMs: p.messageGraceMs,
  });
  const cpu = endCpu();
  const answered = ok();
  const notified = answered.filter((s) => notifications.has(s.id)).map((s) => notifications.get(s.id)! - s.sentAt);
  const lastAnswer = Math.max(...sends.map((s) => s.answeredAt ?? 0));
  const run: Run = {
    offered: rate,
    sent: loop.sent,
    sentPerSecond: Number(((loop.sent * 1000) / loop.durationMs).toFixed(1)),
    achievedPerSecond: Number(
      ((answered.length * 1000) / Math.max(1, lastAnswer - (sends[0]?.sentAt ?? started))).toFixed(1),
    ),
    ok: answered.length,
    errors: sends.length - answered.length,
    errorSamples,
    schedulerLagMs: loop.lagMs,
    roundTripMs: rounded(summarize(answered.map((s) => s.answeredAt! - s.sentAt))),
    messageMs: rounded(summarize(notified)),
    missedEvents: answered.length - notified.length,
    drainSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    cpu,
  };
  progress.done(
    `${label}: sent ${run.sent} (${run.sentPerSecond}/s), achieved ${run.achievedPerSecond}/s, ${run.errors} errors; ` +
      `transaction p50 ${run.roundTripMs.p50.toFixed(2)} / p99 ${run.roundTripMs.p99.toFixed(2)} ms; ` +
      `to listener p50 ${run.messageMs.p50.toFixed(2)} / p99 ${run.messageMs.p99.toFixed(2)} ms; missed ${run.missedEvents}; ` +
      `CPU cores: server ${cpu.serverCores}, postgres ${cpu.databaseCores ?? '?'}, bench ${cpu.benchCores}`,
  );
  for (const [message, count] of Object.entries(errorSamples)) progress.warn(`${label}: ${count}× ${message}`);
  return run;
}

export const latencyStage: Stage = {
  name: 'latency',
  estimateSeconds(mode) {
    const p = PARAMETERS[mode];
    return 5 + p.rates.length * ((2 * p.durationMs) / 1000 + 10);
  },
  async run(context) {
    const { mode, server, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const gql = pooledGraphqlClient(server.graphqlUrl, { authorization: server.authorization }, p.httpConnections);
    const figures: Figure[] = [];
    const problems: string[] = [];
    const notes: string[] = [];
    const rates: Record<string, unknown> = {};

    const customers = await registerCustomers(gql, p.customers, 'Latency');

    // The two subscribers, each on its own connection, as two applications would have them.
    const feeds = new Feeds();
    const eventsClient = wsClient(server.wsUrl, server.authorization);
    const ordersClient = wsClient(server.wsUrl, server.authorization);
    feeds.subscriptions.push(
      subscribe<{ events: { aggregateId: string; version: number } }>(eventsClient, EVENTS_SUBSCRIPTION, (data, at) => {
        const key = `${data.events.aggregateId}:${data.events.version}`;
        if (!feeds.events.has(key)) feeds.events.set(key, at);
      }),
      subscribe<{ ordersChanged: { id: string; version: number } }>(ordersClient, ORDERS_SUBSCRIPTION, (data, at) => {
        let list = feeds.orders.get(data.ordersChanged.id);
        if (!list) feeds.orders.set(data.ordersChanged.id, (list = []));
        list.push({ at, version: data.ordersChanged.version });
      }),
    );

    const suffix = randomBytes(4).toString('hex');
    const tables = await createRawTables(databaseUrl, suffix);
    const pool = new Pool({ connectionString: databaseUrl, max: p.rawConnections });
    pool.on('error', () => undefined); // a lost connection fails its query too: counted there
    const listener = new Client({ connectionString: databaseUrl });
    listener.on('error', () => undefined);
    const notifications = new Map<number, number>();
    const channel = `bench_latency_${suffix}`;
    try {
      // Warm-up (not reported): JIT, connections, prepared statements; and proof that both subscriptions deliver.
      let warm: CommandResult | undefined;
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < p.warmupCommands) {
            const n = next++;
            const placed = await gql<{ placeOrder: CommandResult }>(PLACE, {
              input: { customerId: customers[n % customers.length], items: [item(n)] },
            });
            warm = (
              await gql<{ addItem: CommandResult }>(ADD, {
                input: { orderId: placed.placeOrder.aggregateId, item: item(n + 1) },
              })
            ).addItem;
          }
        }),
      );
      const delivering = await waitFor(
        () =>
          warm !== undefined &&
          feeds.eventArrival(warm.aggregateId, warm.version) !== undefined &&
          feeds.orderArrival(warm.aggregateId, warm.version) !== undefined,
        { timeoutMs: 15_000, everyMs: 50 },
      );
      if (!delivering) {
        throw new Error(
          `the subscriptions did not deliver the warm-up's last command within 15 s (events: ${feeds.events.size} ` +
            `messages, ordersChanged: ${feeds.orders.size} orders; errors: ${feeds.errors.join('; ') || 'none'})`,
        );
      }
      progress.info(`warm-up: ${p.warmupCommands * 2} commands; both subscriptions deliver`);

      await listener.connect();
      listener.on('notification', (message) => {
        const at = performance.now();
        const id = Number(message.payload);
        if (!notifications.has(id)) notifications.set(id, at);
      });
      await listener.query(`LISTEN ${channel}`);
      // Open every pool connection and prepare the statement on each (each connection prepares its own).
      const sql = rawSql(tables);
      await Promise.all(
        Array.from({ length: p.rawConnections * 2 }, (_, i) =>
          pool.query({
            name: `bench-latency-raw-${channel}`,
            text: sql,
            values: [`lat-warm-${i}`, randomUUID(), 'BenchLatencyWarm', '{}', '{}', channel, String(-1 - i)],
          }),
        ),
      );

      let base = 0;
      for (const rate of p.rates) {
        const settledBefore = await settle(context, p.settleMaxMs, 'the previous measurement');
        await checkpoint(databaseUrl);
        const service = await serviceRun(context, gql, customers, feeds, rate, p);
        const settledAfter = await settle(context, p.settleMaxMs, `the service at ${rate}/s`);
        await checkpoint(databaseUrl);
        const raw = await rawRun(context, pool, notifications, sql, channel, rate, p, base);
        base += raw.sent + 1;
        rates[`r${rate}`] = {
          service: { ...service, serverSettledBefore: settledBefore },
          baseline: { ...raw, serverSettledBefore: settledAfter },
        };

        if (service.errors > 0) problems.push(`latency at ${rate}/s: ${service.errors} mutations failed`);
        if (raw.errors > 0) problems.push(`latency baseline at ${rate}/s: ${raw.errors} raw appends failed`);
        if (service.missedEvents > 0 || (service.missedOrdersChanged ?? 0) > 0) {
          problems.push(
            `latency at ${rate}/s: ${service.missedEvents} events messages and ${service.missedOrdersChanged} ` +
              `ordersChanged messages never arrived (within ${p.messageGraceMs / 1000} s of the last one)`,
          );
        }
        if (raw.missedEvents > 0)
          problems.push(`latency baseline at ${rate}/s: ${raw.missedEvents} notifications never arrived`);
        if ([service, raw].some((r) => (r.cpu.otherCores ?? 0) > NOISY_NEIGHBOURS)) {
          notes.push(
            `latency at ${rate}/s: other processes used more than ${NOISY_NEIGHBOURS} cores meanwhile (see stages.latency.details)`,
          );
        }
        if (service.ok === 0 || raw.ok === 0) {
          problems.push(`latency at ${rate}/s: nothing completed`);
          continue;
        }
        if (service.achievedPerSecond < rate * 0.95) {
          notes.push(
            `latency at ${rate}/s offered: the service answered ${service.achievedPerSecond} commands/s, less than ` +
              `offered, so requests queued and the latencies include that queueing`,
          );
        }

        const at = `@${rate}/s`;
        const rawTx = `raw append+NOTIFY tx ${at}`;
        const rawListen = `raw NOTIFY → LISTEN ${at}`;
        figures.push(
          figure(
            'latency',
            `r${rate}.achieved`,
            `latency ${at} offered: achieved`,
            service.achievedPerSecond,
            'commands/s',
            {
              label: `raw append+NOTIFY ${at} offered: achieved`,
              value: raw.achievedPerSecond,
              unit: 'appends/s',
            },
          ),
        );
        for (const q of ['p50', 'p95', 'p99'] as const) {
          figures.push(
            figure('latency', `r${rate}.roundTrip.${q}`, `  mutation round trip ${q}`, service.roundTripMs[q], 'ms', {
              label: `${rawTx}, ${q}`,
              value: raw.roundTripMs[q],
              unit: 'ms',
            }),
          );
        }
        for (const q of ['p50', 'p95', 'p99'] as const) {
          figures.push(
            figure('latency', `r${rate}.events.${q}`, `  sent → events message ${q}`, service.messageMs[q], 'ms', {
              label: `${rawListen}, ${q}`,
              value: raw.messageMs[q],
              unit: 'ms',
            }),
          );
        }
        for (const q of ['p50', 'p95', 'p99'] as const) {
          figures.push(
            figure(
              'latency',
              `r${rate}.ordersChanged.${q}`,
              `  sent → ordersChanged message ${q}`,
              service.ordersChangedMs![q],
              'ms',
              {
                label: `${rawListen}, ${q}`,
                value: raw.messageMs[q],
                unit: 'ms',
              },
            ),
          );
        }
        figures.push(
          figure(
            'latency',
            `r${rate}.missed`,
            `  missed subscription messages`,
            service.missedEvents + (service.missedOrdersChanged ?? 0),
            'messages',
            {
              label: `missed notifications ${at}`,
              value: raw.missedEvents,
              unit: 'messages',
            },
          ),
        );
      }
      const subscriptionErrors = feeds.errors;
      if (subscriptionErrors.length > 0) {
        problems.push(
          `latency: the subscriptions reported ${subscriptionErrors.length} errors, e.g. ${subscriptionErrors[0]}`,
        );
      }
    } finally {
      for (const s of feeds.subscriptions) s.stop();
      await Promise.all([eventsClient.dispose(), ordersClient.dispose()]);
      await listener.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await dropRawTables(databaseUrl, tables).catch(() => undefined);
      gql.close();
    }
    return {
      figures,
      problems,
      notes,
      details: {
        parameters: p,
        mutations: { placeOrder: PLACE, addItem: ADD },
        subscriptions: { events: EVENTS_SUBSCRIPTION, ordersChanged: ORDERS_SUBSCRIPTION },
        baselineSql: rawSql({ streams: 'bench_latency_streams_*', events: 'bench_latency_events_*' }),
        rates,
      },
    };
  },
};
