import { pooledGraphqlClient } from '../lib/graphql';
import { openLoop, waitFor } from '../lib/openloop';
import { item, registerCustomers } from '../lib/order-workload';
import { processMemory, resetPeakRss } from '../lib/proc';
import { mib } from '../lib/stats';
import { subscribe, wsClient, type Subscription } from '../lib/subscriptions';
import { figure, type Mode, type Stage } from './types';

/**
 * The server's memory through a long steady load: an open loop of placeOrder / addItem at a fixed rate (as the
 * latency stage sends them: each addItem to an order whose placeOrder was answered), while N graphql-ws
 * subscribers, each its own connection, follow `events(filter: {aggregateType: Order})` and `ordersChanged`.
 * The server's RSS is sampled every second (and its VmHWM, reset at the start where /proc allows); the figures
 * are its RSS before the load, its peak through it, and its RSS once the load and the deliveries have drained.
 * A subscriber that lost an event, or ended up behind an order's last version, is a problem of the run.
 *
 * `--soak` runs it alone at its long size (the goal's 10 minutes at 80 commands/s with 50 subscribers; `--soak 3`
 * for 3 minutes); the default run has a short one (a minute in full mode), which shows growth but not where it
 * levels off.
 */

type Parameters = { ratePerSecond: number; durationMs: number; subscribers: number; customers: number };

const PARAMETERS: Record<Mode, Parameters> = {
  quick: { ratePerSecond: 40, durationMs: 10_000, subscribers: 10, customers: 8 },
  full: { ratePerSecond: 80, durationMs: 60_000, subscribers: 50, customers: 8 },
};

const PLACE = `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { aggregateId version } }`;
const ADD = `mutation Add($input: AddItemInput!) { addItem(input: $input) { aggregateId version } }`;
const EVENTS = `subscription { events(filter: { aggregateType: Order }) { aggregateId version eventType position } }`;
const ORDERS = `subscription { ordersChanged { id version status totalAmount itemCount updatedAt } }`;

type Answer = { aggregateId: string; version: number };

/**
 * One subscriber's connection and what it has seen, per order: the last version on `events` (an order's events
 * come in version order, so a skipped version is a gap) and on `ordersChanged` (which may coalesce changes).
 */
type Subscriber = {
  close(): Promise<void>;
  subscriptions: Subscription[];
  events: Map<string, number>;
  gaps: number;
  versions: Map<string, number>;
};

function subscriber(wsUrl: string, authorization: string): Subscriber {
  const client = wsClient(wsUrl, authorization);
  const versions = new Map<string, number>();
  const seen: Subscriber = { close, subscriptions: [], events: new Map(), gaps: 0, versions };
  seen.subscriptions.push(
    subscribe<{ events: Answer }>(client, EVENTS, ({ events: e }) => {
      if (e.version !== (seen.events.get(e.aggregateId) ?? 0) + 1) seen.gaps++;
      seen.events.set(e.aggregateId, e.version);
    }),
    subscribe<{ ordersChanged: { id: string; version: number } }>(client, ORDERS, ({ ordersChanged: o }) => {
      if ((versions.get(o.id) ?? 0) < o.version) versions.set(o.id, o.version);
    }),
  );
  async function close() {
    for (const s of seen.subscriptions) s.stop();
    await client.dispose();
  }
  return seen;
}

/** `minutes`: the long soak, at the full size's rate and subscribers; without it, the size of the run's mode. */
export function soakStage(minutes?: number): Stage {
  const parameters = (mode: Mode): Parameters =>
    minutes === undefined ? PARAMETERS[mode] : { ...PARAMETERS.full, durationMs: minutes * 60_000 };
  return {
    name: 'soak',
    estimateSeconds: (mode) => parameters(mode).durationMs / 1000 + 15,
    async run({ mode, server, progress }) {
      const p = parameters(mode);
      const gql = pooledGraphqlClient(server.graphqlUrl, { authorization: server.authorization });
      const subscribers = Array.from({ length: p.subscribers }, () => subscriber(server.wsUrl, server.authorization));
      const problems: string[] = [];
      try {
        const customers = await registerCustomers(gql, p.customers, 'Soak');
        // Every subscription is live once every subscriber has seen a probe order on both.
        const probe = async () =>
          (await gql<{ placeOrder: Answer }>(PLACE, { input: { customerId: customers[0], items: [item(0)] } }))
            .placeOrder;
        const live = await waitFor(() => subscribers.every((s) => s.events.size > 0 && s.versions.size > 0), {
          timeoutMs: 30_000,
          everyMs: 250,
          onTick: () => void probe(),
        });
        if (!live) throw new Error('the subscriptions did not all deliver a probe order within 30 s');

        await new Promise((resolve) => setTimeout(resolve, 2000));
        const before = processMemory(server.pid);
        const peakReset = resetPeakRss(server.pid);
        const samples: { second: number; rssMiB: number }[] = [];
        const started = performance.now();
        const sampler = setInterval(() => {
          const memory = processMemory(server.pid);
          if (memory)
            samples.push({ second: Math.round((performance.now() - started) / 1000), rssMiB: mib(memory.rssBytes) });
        }, 1000);

        const answers: Answer[] = [];
        const errors: Record<string, number> = {};
        const placed: string[] = [];
        let inFlight = 0;
        const loop = await openLoop({
          ratePerSecond: p.ratePerSecond,
          durationMs: p.durationMs,
          onTick: (ms, sent) =>
            progress.update(
              `soak: ${(ms / 1000).toFixed(0)}/${p.durationMs / 1000} s, sent ${sent}, in flight ${inFlight}, ` +
                `RSS ${samples.at(-1)?.rssMiB ?? '?'} MiB`,
            ),
          send: (i) => {
            const target = placed.shift();
            inFlight++;
            const request = target
              ? gql<{ addItem: Answer }>(ADD, { input: { orderId: target, item: item(i) } }).then((d) => d.addItem)
              : gql<{ placeOrder: Answer }>(PLACE, {
                  input: { customerId: customers[i % customers.length], items: [item(i)] },
                }).then((d) => d.placeOrder);
            request
              .then(
                (answer) => {
                  answers.push(answer);
                  if (!target) placed.push(answer.aggregateId);
                },
                (error: unknown) => {
                  const message = (error as Error).message;
                  errors[message] = (errors[message] ?? 0) + 1;
                },
              )
              .finally(() => inFlight--);
          },
        });
        await waitFor(() => inFlight === 0, { timeoutMs: 60_000, everyMs: 50 });
        // Each order's last version, as answered: every subscriber must end there on ordersChanged.
        const last = new Map<string, number>();
        for (const a of answers) if ((last.get(a.aggregateId) ?? 0) < a.version) last.set(a.aggregateId, a.version);
        const shortOf = (seen: Map<string, number>) => {
          let n = 0;
          for (const [id, version] of last) if ((seen.get(id) ?? 0) < version) n++;
          return n;
        };
        const behind = (s: Subscriber) => shortOf(s.versions);
        const lost = (s: Subscriber) => shortOf(s.events) + s.gaps;
        await waitFor(() => subscribers.every((s) => behind(s) === 0 && lost(s) === 0), {
          timeoutMs: 30_000,
          everyMs: 500,
          onTick: () => progress.update('soak: waiting for the subscribers to get every change'),
        });
        // Deliveries done: what the server keeps once the load has passed.
        await new Promise((resolve) => setTimeout(resolve, 5000));
        clearInterval(sampler);
        const after = processMemory(server.pid);
        const lostEvents = subscribers.reduce((n, s) => n + lost(s), 0);
        const ordersBehind = subscribers.reduce((n, s) => n + behind(s), 0);
        const subscriptionErrors = subscribers.flatMap((s) => s.subscriptions.flatMap((x) => x.errors));
        const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
        if (errorCount > 0) problems.push(`soak: ${errorCount} commands failed: ${JSON.stringify(errors)}`);
        if (lostEvents > 0)
          problems.push(`soak: ${lostEvents} orders short of events (or with gaps) across the subscribers`);
        if (ordersBehind > 0) problems.push(`soak: ${ordersBehind} orders behind their last version on ordersChanged`);
        if (subscriptionErrors.length > 0)
          problems.push(`soak: subscription errors: ${subscriptionErrors.slice(0, 3)}`);
        if (!before || !after) return { figures: [], problems, notes: ['soak: no /proc here, memory not measured'] };

        const sampledPeak = Math.max(...samples.map((s) => s.rssMiB), mib(after.rssBytes));
        const peak = peakReset ? Math.max(sampledPeak, mib(after.peakRssBytes)) : sampledPeak;
        const length = p.durationMs < 60_000 ? `${p.durationMs / 1000} s` : `${p.durationMs / 60_000} min`;
        const what = `${p.ratePerSecond} commands/s for ${length}, ${p.subscribers} subscribers`;
        progress.done(
          `soak (${what}): ${answers.length} commands answered, RSS before ${mib(before.rssBytes)} MiB, ` +
            `peak ${peak} MiB, after ${mib(after.rssBytes)} MiB`,
        );
        return {
          figures: [
            figure('soak', 'before', `server RSS before the soak`, mib(before.rssBytes), 'MiB'),
            figure('soak', 'peak', `server peak RSS, ${what}`, peak, 'MiB'),
            figure('soak', 'after', `server RSS after the soak, drained`, mib(after.rssBytes), 'MiB'),
          ],
          problems,
          details: {
            parameters: p,
            sent: loop.sent,
            answered: answers.length,
            schedulerLagMs: loop.lagMs,
            peakFromVmHWM: peakReset,
            rssEverySecond: samples,
          },
        };
      } finally {
        await Promise.all(subscribers.map((s) => s.close()));
        gql.close();
      }
    },
  };
}
