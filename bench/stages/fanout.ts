import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { EVENTS_CHANNEL } from '../../src/eventstore/wakeups';
import {
  epochMs,
  PositionHash,
  type FromSubscribers,
  type SubscriberTally,
  type ToSubscribers,
} from '../lib/fanout-protocol';
import {
  cpuWindow,
  processCpuSeconds,
  processCpuTimes,
  processMemory,
  resetPeakRss,
  sampleRss,
  waitUntilIdle,
  type CpuWindow,
} from '../lib/proc';
import { startRawFanoutServer } from '../lib/raw-fanout-server';
import { PROJECT_ROOT } from '../lib/server';
import { NOISY_NEIGHBOURS } from '../lib/measure';
import { median, mib, rounded, summarize, type Summary } from '../lib/stats';
import { figure, type BenchContext, type Figure, type Mode, type Stage } from './types';

/**
 * Fan-out: N graphql-ws subscribers (quick 200, full 1,000) on the one server, each its own connection with
 * `events(filter: {correlationId: "<fresh tag>"}) { position }`; then a burst of events with that tag (quick 1,000,
 * full 5,000) appended straight into the log with SQL (transactions of 100 events from one connection, each with
 * the NOTIFY another instance's append would send). They are deactivations of customers nobody registered: a type
 * the API serves, which the customers projector reads and skips (no customer to change), and no other subscriber
 * matches. Measured: messages delivered per second (all subscribers' messages ÷ time from the first append to the
 * last message received) and lost messages (each subscriber must get every event of the burst, in log order:
 * checked by count and an order-sensitive hash of the positions against the log).
 *
 * Before the burst, probe events are appended until every subscriber has received the latest one, so every
 * subscription is live when the clock starts (a subscription registers with the server asynchronously).
 *
 * The subscribers run in a child process (bench/lib/fanout-subscribers.ts): N × burst messages are a lot of work
 * to receive too, and on 2 cores that process may itself be what limits the rate; its CPU use is reported, and
 * the run names the busiest process (the bottleneck).
 *
 * Baseline, same run, same subscriber process and client code: a minimal raw WebSocket server inside the bench
 * process (bench/lib/raw-fanout-server.ts) delivering the same N × burst messages, in the same message shape, from
 * a throwaway copy of the events table with the same burst appended the same way.
 *
 * Also the server's memory: RSS with N idle subscribers, and its peak during the fan-out (VmHWM reset before it,
 * where Linux allows, plus sampling every 100 ms).
 */

const PARAMETERS: Record<
  Mode,
  { subscribers: number; burst: number; perTransaction: number; idleMs: number; timeoutMs: number; settleMaxMs: number }
> = {
  quick: {
    subscribers: 200,
    burst: 1_000,
    perTransaction: 100,
    idleMs: 10_000,
    timeoutMs: 60_000,
    settleMaxMs: 10_000,
  },
  full: {
    subscribers: 1_000,
    burst: 5_000,
    perTransaction: 100,
    idleMs: 10_000,
    timeoutMs: 300_000,
    settleMaxMs: 30_000,
  },
};

const MAX_PROBES = 10;

/** The subscriber process: requests over IPC, its replies queued until asked for. */
class Subscribers {
  private readonly child: ChildProcess;
  private readonly inbox: FromSubscribers[] = [];
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;

  constructor() {
    this.child = fork(path.join(__dirname, '..', 'lib', 'fanout-subscribers.ts'), [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FromSubscribers) => {
      if (message.type === 'failed') this.failure ??= new Error(`the subscriber process failed: ${message.error}`);
      else this.inbox.push(message);
      this.waiting?.();
    });
    this.child.on('exit', (code, signal) => {
      this.failure ??= new Error(`the subscriber process exited (${signal ?? `code ${code}`})`);
      this.waiting?.();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(message: ToSubscribers): void {
    if (this.failure) throw this.failure;
    this.child.send(message);
  }

  /** The next reply of this type (earlier replies of other types are left queued). */
  async reply<T extends FromSubscribers['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromSubscribers, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as Extract<FromSubscribers, { type: T }>;
      if (this.failure) throw this.failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`the subscriber process did not answer (${type}) within ${timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiting = done;
      });
    }
  }

  request<T extends FromSubscribers['type']>(message: ToSubscribers, reply: T, timeoutMs: number) {
    this.send(message);
    return this.reply(reply, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Appends events tagged `type` to `table` in transactions of `perTransaction`, each with a NOTIFY on `channel`. */
async function append(
  db: Client,
  options: {
    table: string;
    type: string;
    count: number;
    perTransaction: number;
    channel: string;
    withStreams: boolean;
    tag: string;
  },
): Promise<string> {
  let last = '';
  for (let done = 0, tx = 0; done < options.count; tx++) {
    const n = Math.min(options.perTransaction, options.count - done);
    const aggregateId = `${options.type}-${options.tag}-${tx}`;
    const streams = options.withStreams
      ? `s AS (INSERT INTO streams (aggregate_id, aggregate_type, version) VALUES ($1::text, 'Customer', $3::int)),`
      : '';
    const { rows } = await db.query<{ last: string }>({
      name: `fanout-append-${options.table}-${options.withStreams}`,
      text: `WITH ${streams} ins AS (
          INSERT INTO ${options.table} (position, event_id, aggregate_id, aggregate_type, version, event_type, payload, metadata)
          SELECT (pg_current_xact_id()::text::bigint << 16) + v, gen_random_uuid(), $1::text, 'Customer', v,
            'CustomerDeactivated', jsonb_build_object('reason', ($4::int + v)::text),
            jsonb_build_object('correlationId', $2::text, 'causationId', $1::text, 'userId', 'bench')
          FROM generate_series(1, $3::int) v
          RETURNING position)
        SELECT max(position)::text AS last, pg_notify($5::text, '') IS NULL AS notified FROM ins`,
      values: [aggregateId, options.type, n, done, options.channel],
    });
    last = rows[0]!.last;
    done += n;
  }
  return last;
}

type Delivery = {
  subscribers: number;
  burst: number;
  connectMs: number;
  probes: number;
  /** Messages received in all, over the burst. */
  delivered: number;
  perSecond: number;
  /** From the first append to the last message. */
  seconds: number;
  appendSeconds: number;
  lost: number;
  /** Subscribers that got the right number of messages but not the log's positions in its order. */
  wrongOrder: number;
  incompleteSubscribers: number;
  errors: string[];
  cpu: CpuWindow & { subscriberProcessCores: number };
  bottleneck: string;
  /** Per second of the burst: messages received, and the CPU (cores) of the delivering server and the subscribers. */
  timeline: { second: number; messages: number; serverCores?: number; subscriberCores?: number }[];
  /** GET /healthz, one after another every 200 ms during the burst (the service only): its event loop's lag. */
  healthz?: Summary & { failures: number };
};

/**
 * Which process limited the delivery: per second of the burst, the delivering server's and the subscriber
 * process's CPU (each is one JavaScript thread, so ~1 core is saturated), their medians compared; averages over
 * the whole burst would hide a saturated steady state behind a slow start or stalls.
 */
function bottleneckOf(
  cpu: CpuWindow & { subscriberProcessCores: number },
  timeline: { serverCores?: number; subscriberCores?: number }[],
  serverName: string,
): string {
  const inner = timeline.slice(1, -1);
  const server =
    median(inner.map((t) => t.serverCores)) ?? (serverName === RAW_SERVER ? cpu.benchCores : cpu.serverCores) ?? 0;
  const subscribers = median(inner.map((t) => t.subscriberCores)) ?? cpu.subscriberProcessCores;
  const machine = Number(((cpu.machineCores ?? 0) + (cpu.irqCores ?? 0)).toFixed(2));
  const others = (cpu.otherCores ?? 0) > NOISY_NEIGHBOURS ? `; other processes ${cpu.otherCores} cores` : '';
  const saturated = (cores: number) => cores >= 0.85;
  const medians = `median per second: ${serverName} ${server} cores, subscriber process ${subscribers} cores`;
  if (saturated(server) && saturated(subscribers)) {
    return `both ${serverName} and the subscriber process (each one thread saturated: the 2 cores are full; ${medians}${others})`;
  }
  if (saturated(server)) return `${serverName} (its one thread saturated; ${medians}${others})`;
  if (saturated(subscribers)) return `the subscriber process (its one thread saturated; ${medians}${others})`;
  if (machine >= 1.7) return `the machine's 2 cores (${machine} busy; ${medians}${others})`;
  return `none saturated (${medians}; machine ${machine}${others})`;
}

const RAW_SERVER = 'the bench process (raw server)';

async function deliver(
  context: BenchContext,
  subscribers: Subscribers,
  options: {
    label: string;
    url: string;
    db: Client;
    table: string;
    type: string;
    channel: string;
    withStreams: boolean;
    serverName: string;
    /** The service's base URL: its /healthz is probed during the burst. */
    healthUrl?: string;
    onIdle?: () => void;
  },
  p: (typeof PARAMETERS)[Mode],
): Promise<Delivery> {
  const { progress, server } = context;
  const query = `subscription { events(filter: { correlationId: "${options.type}" }) { position } }`;
  const connected = await subscribers.request(
    { type: 'connect', url: options.url, authorization: server.authorization, count: p.subscribers, query },
    'connected',
    120_000,
  );
  if (connected.errors.length > 0)
    throw new Error(`${options.label}: connecting failed: ${connected.errors.slice(0, 3).join('; ')}`);
  progress.info(`${options.label}: ${p.subscribers} subscribers connected in ${(connected.ms / 1000).toFixed(1)} s`);

  // Probe until every subscription is live.
  let probe = '';
  let probes = 0;
  let ready = 0;
  while (probes < MAX_PROBES) {
    probes++;
    probe = await append(options.db, {
      table: options.table,
      type: options.type,
      count: 1,
      perTransaction: 1,
      channel: options.channel,
      withStreams: options.withStreams,
      tag: `probe${probes}`,
    });
    ready = (await subscribers.request({ type: 'probe', position: probe, timeoutMs: 3000 }, 'probed', 10_000)).ready;
    if (ready === p.subscribers) break;
  }
  if (ready !== p.subscribers) {
    throw new Error(
      `${options.label}: only ${ready} of ${p.subscribers} subscribers received the probe after ${probes} probes`,
    );
  }
  options.onIdle?.();

  await subscribers.request(
    { type: 'measure', expect: p.burst, idleMs: p.idleMs, timeoutMs: p.timeoutMs },
    'measuring',
    10_000,
  );
  const endCpu = cpuWindow(server.pid, context.databasePid);
  const child0 = processCpuTimes(subscribers.pid);
  const started = epochMs();
  const ticker = setInterval(
    () => progress.update(`${options.label}: ${((epochMs() - started) / 1000).toFixed(1)} s into the burst`),
    250,
  );
  // Once a second: the CPU of whoever delivers (the server process, or this one for the raw server) and of the
  // subscribers, so the run can tell which one was saturated when (averages over the burst hide that).
  const deliveringCpu = () =>
    options.healthUrl
      ? processCpuSeconds(server.pid)
      : (({ user, system }) => (user + system) / 1e6)(process.cpuUsage());
  const cpuTimeline: { serverCores?: number; subscriberCores?: number }[] = [];
  let previous = { at: performance.now(), server: deliveringCpu(), child: processCpuSeconds(subscribers.pid) };
  const sampler = setInterval(() => {
    const now = { at: performance.now(), server: deliveringCpu(), child: processCpuSeconds(subscribers.pid) };
    const seconds = (now.at - previous.at) / 1000;
    const cores = (a?: number, b?: number) =>
      a === undefined || b === undefined ? undefined : Number(((b - a) / seconds).toFixed(2));
    cpuTimeline.push({
      serverCores: cores(previous.server, now.server),
      subscriberCores: cores(previous.child, now.child),
    });
    previous = now;
  }, 1000);
  // The service's responsiveness meanwhile: a trivial HTTP request, one at a time.
  const healthSamples: number[] = [];
  let healthFailures = 0;
  let probing = Boolean(options.healthUrl);
  const prober = (async () => {
    while (probing) {
      const sent = performance.now();
      try {
        const response = await fetch(`${options.healthUrl}/healthz`, { signal: AbortSignal.timeout(120_000) });
        await response.text();
        if (!response.ok) healthFailures++;
      } catch {
        healthFailures++;
      }
      healthSamples.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  let result: Extract<FromSubscribers, { type: 'measured' }>;
  let appendSeconds: number;
  try {
    await append(options.db, {
      table: options.table,
      type: options.type,
      count: p.burst,
      perTransaction: p.perTransaction,
      channel: options.channel,
      withStreams: options.withStreams,
      tag: 'burst',
    });
    appendSeconds = (epochMs() - started) / 1000;
    result = await subscribers.reply('measured', p.timeoutMs + 30_000);
  } finally {
    clearInterval(ticker);
    clearInterval(sampler);
    probing = false;
  }
  await prober;
  const child1 = processCpuTimes(subscribers.pid);
  const window = endCpu();
  const seconds = ((result.lastAt ?? epochMs()) - started) / 1000;
  const windowSeconds = (epochMs() - started) / 1000;
  const childCores =
    child0 && child1
      ? Number(((child1.user + child1.system - child0.user - child0.system) / windowSeconds).toFixed(2))
      : 0;
  const cpu = {
    ...window,
    subscriberProcessCores: childCores,
    otherCores:
      window.otherCores === undefined ? undefined : Number(Math.max(0, window.otherCores - childCores).toFixed(2)),
  };

  // What every subscriber should have got: the burst's positions, in log order.
  const { rows } = await options.db.query<{ position: string }>(
    `SELECT position::text AS position FROM ${options.table} WHERE metadata ->> 'correlationId' = $1 AND position > $2 ORDER BY position`,
    [options.type, probe],
  );
  const expected = new PositionHash();
  for (const r of rows) expected.add(r.position);
  const expectedHash = expected.digest();
  const check = (tallies: SubscriberTally[]) => {
    let delivered = 0;
    let lost = 0;
    let wrongOrder = 0;
    let incomplete = 0;
    for (const t of tallies) {
      delivered += t.count;
      if (t.count < rows.length) {
        lost += rows.length - t.count;
        incomplete++;
      } else if (t.hash !== expectedHash || !t.inOrder) {
        wrongOrder++;
      }
    }
    return { delivered, lost, wrongOrder, incomplete };
  };
  const { delivered, lost, wrongOrder, incomplete } = check(result.tallies);
  if (rows.length !== p.burst)
    throw new Error(`${options.label}: the log holds ${rows.length} burst events, not ${p.burst}`);
  await subscribers.request({ type: 'disconnect' }, 'disconnected', 60_000);

  const delivery: Delivery = {
    subscribers: p.subscribers,
    burst: p.burst,
    connectMs: connected.ms,
    probes,
    delivered,
    perSecond: Number((delivered / Math.max(0.001, seconds)).toFixed(0)),
    seconds: Number(seconds.toFixed(3)),
    appendSeconds: Number(appendSeconds.toFixed(3)),
    lost,
    wrongOrder,
    incompleteSubscribers: incomplete,
    errors: result.errors,
    cpu,
    // The seconds in which messages arrived (not the idle wait after the last one, when some were lost).
    bottleneck: bottleneckOf(cpu, cpuTimeline.slice(0, result.perSecond.length), options.serverName),
    timeline: result.perSecond.map((messages, second) => ({ second, messages, ...cpuTimeline[second] })),
    healthz: options.healthUrl ? { ...rounded(summarize(healthSamples)), failures: healthFailures } : undefined,
  };
  progress.done(
    `${options.label}: ${delivered.toLocaleString('en-US')} messages in ${seconds.toFixed(2)} s ` +
      `(${delivery.perSecond.toLocaleString('en-US')} messages/s; burst appended in ${appendSeconds.toFixed(2)} s), ` +
      `lost ${lost}, out of order ${wrongOrder}; CPU cores: server ${cpu.serverCores}, subscribers ${childCores}, ` +
      `bench ${cpu.benchCores}, postgres ${cpu.databaseCores ?? '?'}; bottleneck: ${delivery.bottleneck}` +
      (delivery.healthz
        ? `; GET /healthz meanwhile: p50 ${delivery.healthz.p50.toFixed(1)} ms, max ${delivery.healthz.max.toFixed(0)} ms`
        : ''),
  );
  for (const e of result.errors.slice(0, 5)) progress.warn(`${options.label}: ${e}`);
  return delivery;
}

export const fanoutStage: Stage = {
  name: 'fan-out',
  estimateSeconds(mode) {
    const p = PARAMETERS[mode];
    // Connecting, probing, and delivering at roughly 30k messages/s (service) and 150k/s (raw) on 2 cores.
    return 6 + (p.subscribers * p.burst) / 30_000 + (p.subscribers * p.burst) / 150_000;
  },
  async run(context) {
    const { mode, server, databaseUrl, progress } = context;
    const p = PARAMETERS[mode];
    const figures: Figure[] = [];
    const problems: string[] = [];
    const notes: string[] = [];
    const suffix = randomBytes(4).toString('hex');
    const rawTable = `bench_fanout_raw_${suffix}`;
    const rawChannel = `bench_fanout_${suffix}`;

    await waitUntilIdle(server.pid, { maxMs: p.settleMaxMs });
    const db = new Client({ connectionString: databaseUrl });
    db.on('error', () => undefined);
    await db.connect();
    const subscribers = new Subscribers();
    let rawServer: Awaited<ReturnType<typeof startRawFanoutServer>> | undefined;
    try {
      // The service.
      const peakReset = resetPeakRss(server.pid);
      const stopSampling = sampleRss(server.pid, 100);
      let idleRss: number | undefined;
      const service = await deliver(
        context,
        subscribers,
        {
          label: 'service',
          url: server.wsUrl,
          db,
          table: 'events',
          type: `Fanout${suffix}`,
          channel: EVENTS_CHANNEL,
          withStreams: true,
          serverName: 'the server',
          healthUrl: server.url,
          onIdle: () => {
            idleRss = processMemory(server.pid)?.rssBytes;
          },
        },
        p,
      );
      const sampled = stopSampling();
      const hwm = peakReset ? processMemory(server.pid)?.peakRssBytes : undefined;
      const peakRss = Math.max(sampled?.maxRssBytes ?? 0, hwm ?? 0);

      // The raw baseline.
      await db.query(`CREATE TABLE ${rawTable} (LIKE events INCLUDING ALL)`);
      rawServer = await startRawFanoutServer(databaseUrl, rawTable, rawChannel);
      const raw = await deliver(
        context,
        subscribers,
        {
          label: 'raw ws server',
          url: rawServer.url,
          db,
          table: rawTable,
          type: `FanoutRaw${suffix}`,
          channel: rawChannel,
          withStreams: false,
          serverName: RAW_SERVER,
        },
        p,
      );

      const lostTotal = service.lost + service.wrongOrder * p.burst;
      if (service.lost > 0 || service.wrongOrder > 0) {
        problems.push(
          `fan-out: ${service.lost} messages lost (${service.incompleteSubscribers} of ${p.subscribers} subscribers incomplete), ` +
            `${service.wrongOrder} subscribers got the events out of log order` +
            (service.errors.length ? `; errors: ${service.errors.slice(0, 3).join('; ')}` : ''),
        );
      } else if (service.errors.length > 0) {
        problems.push(`fan-out: the subscriptions reported errors: ${service.errors.slice(0, 3).join('; ')}`);
      }
      if (raw.lost > 0 || raw.wrongOrder > 0) {
        problems.push(
          `fan-out baseline: the raw server lost ${raw.lost} messages, ${raw.wrongOrder} subscribers out of order`,
        );
      }
      for (const [name, run] of [
        ['service', service],
        ['raw baseline', raw],
      ] as const) {
        if ((run.cpu.otherCores ?? 0) > NOISY_NEIGHBOURS) {
          notes.push(
            `fan-out (${name}): other processes used ${run.cpu.otherCores} cores meanwhile: this figure is disturbed`,
          );
        }
      }
      notes.push(
        `fan-out bottleneck: service: ${service.bottleneck}; raw baseline: ${raw.bottleneck} ` +
          `(subscribers in a separate process; CPU in stages["fan-out"].details)`,
      );

      const shape = `${p.subscribers.toLocaleString('en-US')} subscribers × ${p.burst.toLocaleString('en-US')} events`;
      figures.push(
        figure('fanout', 'delivered', `fan-out ${shape}: delivered`, service.perSecond, 'messages/s', {
          label: `raw ws server, ${shape}`,
          value: raw.perSecond,
          unit: 'messages/s',
        }),
        figure('fanout', 'lost', '  lost or out-of-order messages', lostTotal, 'messages', {
          label: 'raw ws server, lost',
          value: raw.lost + raw.wrongOrder * p.burst,
          unit: 'messages',
        }),
        figure('fanout', 'seconds', '  first append → last message', service.seconds * 1000, 'ms', {
          label: 'raw ws server, first append → last message',
          value: raw.seconds * 1000,
          unit: 'ms',
        }),
      );
      if (service.healthz && service.healthz.count > 0) {
        figures.push(
          figure('fanout', 'healthz.max', '  server GET /healthz during the burst, max', service.healthz.max, 'ms'),
        );
        if (service.healthz.max > 1000) {
          notes.push(
            `fan-out: the server took up to ${(service.healthz.max / 1000).toFixed(1)} s to answer GET /healthz during the ` +
              `burst (p50 ${service.healthz.p50.toFixed(1)} ms): its event loop was held that long`,
          );
        }
      }
      if (idleRss !== undefined) {
        figures.push(
          figure(
            'memory',
            'fanout.idle',
            `server RSS, ${p.subscribers.toLocaleString('en-US')} idle subscribers`,
            mib(idleRss),
            'MiB',
          ),
        );
      }
      if (peakRss > 0) {
        figures.push(figure('memory', 'fanout.peak', `server peak RSS during fan-out`, mib(peakRss), 'MiB'));
      }
      progress.info(
        `server RSS: ${idleRss !== undefined ? mib(idleRss) : '?'} MiB with ${p.subscribers} idle subscribers, peak ` +
          `${mib(peakRss)} MiB during the fan-out (${peakReset ? 'VmHWM reset before it, and ' : ''}${sampled?.samples ?? 0} samples)`,
      );
      return {
        figures,
        problems,
        notes,
        details: {
          parameters: p,
          subscription: `subscription { events(filter: { correlationId: "<fresh tag>" }) { position } }`,
          service,
          baseline: raw,
          memory: {
            idleSubscribersRssMiB: idleRss !== undefined ? mib(idleRss) : undefined,
            peakRssMiB: mib(peakRss),
            vmHwmResetBefore: peakReset,
            vmHwmMiB: hwm !== undefined ? mib(hwm) : undefined,
            sampledMaxMiB: sampled ? mib(sampled.maxRssBytes) : undefined,
            samples: sampled?.samples,
          },
        },
      };
    } finally {
      await subscribers.close().catch(() => undefined);
      await rawServer?.close().catch(() => undefined);
      await db.query(`DROP TABLE IF EXISTS ${rawTable}`).catch(() => undefined);
      await db.end().catch(() => undefined);
    }
  },
};
