import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';

/** What the scrape-time gauges read; each part is optional so that the registry can exist before them. */
export type MetricSources = {
  projections?: {
    report(): Promise<{ name: string; position: bigint; lag: number; status: string }[]>;
    /** When the oldest event the projector has still to apply was appended (null: none). */
    oldestPendingAt(name: string, after: bigint): Promise<Date | null>;
  };
  relay?: { report(): Promise<{ name: string; lag: number; state: string }> };
  reactors?: {
    report(): Promise<{ name: string; position: bigint; lag: number; state: string }[]>;
    /** When the oldest event the reactor has still to react to was appended (null: none). */
    oldestPendingAt(name: string, after: bigint): Promise<Date | null>;
  };
  scheduler?: { report(): Promise<{ pending: number; due: number; oldestDueSeconds: number }> };
  pool?: { totalCount: number; idleCount: number; waitingCount: number };
  webSockets?: () => number;
};

// Operations answer in milliseconds to a few seconds (a read of the query tables waits up to READ_MODEL_WAIT_MS).
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every value the projector, relay and reactor state gauges can take, named by the app: this layer sits below the projectors
 * and the relay, so it does not import their vocabularies.
 */
export type MetricStates = { projection: readonly string[]; relay: readonly string[]; reactor: readonly string[] };

export type Metrics = ReturnType<typeof createMetrics>;

/** What `orderstream_build_info` says: package.json's version, and the commit when the build passed it on. */
export type BuildInfo = { version: string; commit: string | undefined };

/**
 * One registry per app instance, never prom-client's global one: tests run several servers in one process, and
 * each must report only its own figures. Labels take only bounded values (mutation and event type names, codes,
 * projector names), never ids.
 */
export function createMetrics(logger: Logger, states: MetricStates, build: BuildInfo) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sources: MetricSources = {};
  const registers = [registry];

  const commands = new Counter({
    name: 'orderstream_commands_total',
    help: 'Mutations by root field and outcome (ok, or the error code)',
    labelNames: ['mutation', 'outcome'] as const,
    registers,
  });
  const commandDuration = new Histogram({
    name: 'orderstream_command_duration_seconds',
    help: 'Duration of the operation that carried each mutation, by root field and outcome',
    labelNames: ['mutation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const eventsAppended = new Counter({
    name: 'orderstream_events_appended_total',
    help: 'Events appended to the log by this process, by type',
    labelNames: ['event_type'] as const,
    registers,
  });
  const eventsParked = new Counter({
    name: 'orderstream_projection_events_parked_total',
    help: 'Events a projector could not apply and parked (live or rebuilding), by projector',
    labelNames: ['projector'] as const,
    registers,
  });
  const batchDuration = new Histogram({
    name: 'orderstream_projection_batch_duration_seconds',
    help: 'Duration of each committed projector batch (read-model writes and checkpoint in one transaction)',
    labelNames: ['projector'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const subscriptionsOpen = new Gauge({
    name: 'orderstream_subscriptions_open',
    help: 'GraphQL subscriptions open on this process, by root field',
    labelNames: ['kind'] as const,
    registers,
  });
  const subscriptionMessages = new Counter({
    name: 'orderstream_subscription_messages_total',
    help: 'Messages delivered to subscribers, by root field',
    labelNames: ['kind'] as const,
    registers,
  });
  const httpRequests = new Histogram({
    name: 'orderstream_http_request_duration_seconds',
    help: 'HTTP requests answered (refusals included), by method, route and status: from the request to the last byte',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const operations = new Histogram({
    name: 'orderstream_graphql_operation_duration_seconds',
    help:
      'GraphQL operations by type, root field and outcome (ok, or the error code), over HTTP and graphql-ws; ' +
      "a subscription's is the time it took to start; `none`: not identified (it did not parse or validate)",
    labelNames: ['type', 'field', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const refusals = new Counter({
    name: 'orderstream_refusals_total',
    help:
      'Refusals by code: the errors and warnings GraphQL responses carried, and requests refused before GraphQL ' +
      '(INTERNAL_SERVER_ERROR is a fault, not counted here)',
    labelNames: ['code'] as const,
    registers,
  });
  new Gauge({
    name: 'orderstream_build_info',
    help: 'Always 1: the running version, Node.js version and commit (unknown when the build did not say)',
    labelNames: ['version', 'node_version', 'commit'] as const,
    registers,
  }).set({ version: build.version, node_version: process.versions.node, commit: build.commit ?? 'unknown' }, 1);

  // Scrape-time gauges. Projector and relay reports read the database: the three projection gauges share one report
  // per scrape (prom-client collects every metric at once), and a failing read leaves those gauges empty rather
  // than failing the whole scrape.
  const shared = <T>(read: () => Promise<T>) => {
    let pending: Promise<T | undefined> | undefined;
    return () =>
      (pending ??= read()
        .catch((error: unknown) => {
          logger.warn({ error: (error as Error).message }, 'metrics: a report failed');
          return undefined;
        })
        .finally(() => (pending = undefined)));
  };
  /** Each row with the age of the oldest event its consumer has still to handle (0 when caught up). */
  const withLagSeconds = async <Row extends { name: string; position: bigint; lag: number }>(
    rows: Row[],
    oldestPendingAt: (name: string, after: bigint) => Promise<Date | null>,
  ) => {
    const now = Date.now();
    return Promise.all(
      rows.map(async (row) => {
        const oldest = row.lag > 0 ? await oldestPendingAt(row.name, row.position) : null;
        return { ...row, lagSeconds: oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0 };
      }),
    );
  };
  const projectionReport = shared(async () => {
    const { projections } = sources;
    if (!projections) return undefined;
    return withLagSeconds(await projections.report(), (name, after) => projections.oldestPendingAt(name, after));
  });
  const relayReport = shared(async () => sources.relay?.report());
  const reactorReport = shared(async () => {
    const { reactors } = sources;
    if (!reactors) return undefined;
    return withLagSeconds(await reactors.report(), (name, after) => reactors.oldestPendingAt(name, after));
  });

  const projectionGauge = (
    name: string,
    help: string,
    set: (gauge: Gauge<'projector'>, row: NonNullable<Awaited<ReturnType<typeof projectionReport>>>[number]) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['projector'] as const,
      registers,
      async collect() {
        this.reset();
        for (const row of (await projectionReport()) ?? []) set(this, row);
      },
    });
  projectionGauge('orderstream_projection_lag_events', 'Events of its types the projector has still to apply', (g, r) =>
    g.set({ projector: r.name }, r.lag),
  );
  projectionGauge(
    'orderstream_projection_lag_seconds',
    'Age of the oldest event the projector has still to apply (0 when caught up)',
    (g, r) => g.set({ projector: r.name }, r.lagSeconds),
  );
  new Gauge({
    name: 'orderstream_projection_state',
    help: 'The projector status: 1 for the current one',
    labelNames: ['projector', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const row of (await projectionReport()) ?? []) {
        for (const state of states.projection) this.set({ projector: row.name, state }, row.status === state ? 1 : 0);
      }
    },
  });

  // Labelled with the relay's name (relay:nats, relay:amqp) so that without BUS_URL they carry no sample at all.
  new Gauge({
    name: 'orderstream_relay_lag_events',
    help: 'Events in the log after the bus relay checkpoint (only with BUS_URL)',
    labelNames: ['relay'] as const,
    registers,
    async collect() {
      this.reset();
      const report = await relayReport();
      if (report) this.set({ relay: report.name }, report.lag);
    },
  });
  new Gauge({
    name: 'orderstream_relay_state',
    help: 'The bus relay state: 1 for the current one (only with BUS_URL)',
    labelNames: ['relay', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      const report = await relayReport();
      if (report)
        for (const state of states.relay) this.set({ relay: report.name, state }, report.state === state ? 1 : 0);
    },
  });

  const reactorGauge = (
    name: string,
    help: string,
    set: (gauge: Gauge<'reactor'>, row: NonNullable<Awaited<ReturnType<typeof reactorReport>>>[number]) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['reactor'] as const,
      registers,
      async collect() {
        this.reset();
        for (const row of (await reactorReport()) ?? []) set(this, row);
      },
    });
  reactorGauge('orderstream_reactor_lag_events', 'Events of its types the reactor has still to react to', (g, r) =>
    g.set({ reactor: r.name }, r.lag),
  );
  reactorGauge(
    'orderstream_reactor_lag_seconds',
    'Age of the oldest event the reactor has still to react to (0 when caught up)',
    (g, r) => g.set({ reactor: r.name }, r.lagSeconds),
  );
  new Gauge({
    name: 'orderstream_reactor_state',
    help: 'The reactor state: 1 for the current one',
    labelNames: ['reactor', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      for (const row of (await reactorReport()) ?? []) {
        for (const state of states.reactor) this.set({ reactor: row.name, state }, row.state === state ? 1 : 0);
      }
    },
  });

  const schedulerReport = shared(async () => sources.scheduler?.report());
  const schedulerGauge = (
    name: string,
    help: string,
    value: (report: NonNullable<Awaited<ReturnType<typeof schedulerReport>>>) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const report = await schedulerReport();
        if (report) this.set(value(report));
      },
    });
  schedulerGauge(
    'orderstream_scheduled_commands_pending',
    'Commands scheduled for later and not sent yet',
    (r) => r.pending,
  );
  schedulerGauge('orderstream_scheduled_commands_due', 'Scheduled commands due already and not sent yet', (r) => r.due);
  schedulerGauge(
    'orderstream_scheduler_lag_seconds',
    'How late the oldest due scheduled command is (0 when none is due)',
    (r) => r.oldestDueSeconds,
  );

  new Gauge({
    name: 'orderstream_websocket_connections',
    help: 'Open WebSocket connections on this process',
    registers,
    collect() {
      this.set(sources.webSockets?.() ?? 0);
    },
  });
  new Gauge({
    name: 'orderstream_db_pool_connections',
    help: 'Connections of the API database pool, by state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const { pool } = sources;
      if (!pool) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  return {
    registry,
    /** Adds what the scrape-time gauges read, as the composition root creates it. */
    watch(more: MetricSources): void {
      Object.assign(sources, more);
    },
    commandDone(mutation: string, outcome: string, seconds: number): void {
      commands.inc({ mutation, outcome });
      commandDuration.observe({ mutation, outcome }, seconds);
    },
    eventsAppended(eventTypes: readonly string[]): void {
      for (const eventType of eventTypes) eventsAppended.inc({ event_type: eventType });
    },
    eventParked(projector: string): void {
      eventsParked.inc({ projector });
    },
    batchDone(projector: string, seconds: number): void {
      batchDuration.observe({ projector }, seconds);
    },
    subscriptionOpened(kind: string): void {
      subscriptionsOpen.inc({ kind });
    },
    subscriptionClosed(kind: string): void {
      subscriptionsOpen.dec({ kind });
    },
    subscriptionMessage(kind: string): void {
      subscriptionMessages.inc({ kind });
    },
    httpRequest(method: string, route: string, status: number, seconds: number): void {
      httpRequests.observe({ method, route, status }, seconds);
    },
    operationDone(type: string, field: string, outcome: string, seconds: number): void {
      operations.observe({ type, field, outcome }, seconds);
    },
    refused(code: string): void {
      refusals.inc({ code });
    },
  };
}
