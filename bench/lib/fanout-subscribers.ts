/**
 * The fan-out stage's subscribers, in a process of their own (started by bench/stages/fanout.ts with IPC), so that
 * receiving N × burst messages does not compete with the benchmark's own timing, appends and raw server on one
 * event loop, and so that its CPU use is measured apart. Each subscriber is its own graphql-ws connection
 * (`createClient` with `ws`, as an application would open one) with one subscription; for each it keeps how many
 * messages arrived since `measure`, an order-sensitive hash of their positions, and whether positions only grew.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  epochMs,
  PositionHash,
  type FromSubscribers,
  type SubscriberTally,
  type ToSubscribers,
} from './fanout-protocol';

type Subscriber = {
  client: Client;
  stop?: () => void;
  last: string | undefined;
  lastBig: bigint | undefined;
  count: number;
  hash: PositionHash;
  inOrder: boolean;
};

const MAX_ERROR_SAMPLES = 20;
const CONNECT_BATCH = 50;

let subscribers: Subscriber[] = [];
let errors: string[] = [];
let errorCount = 0;
let measuring:
  | {
      startedAt: number;
      expectTotal: number;
      total: number;
      firstAt: number | null;
      lastAt: number | null;
      perSecond: number[];
      finish: () => void;
    }
  | undefined;

function send(message: FromSubscribers): void {
  process.send!(message);
}

function noteError(message: string): void {
  errorCount++;
  const at = measuring ? `${((epochMs() - measuring.startedAt) / 1000).toFixed(1)} s into the burst: ` : '';
  if (errors.length < MAX_ERROR_SAMPLES) errors.push(`${at}${message}`);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e) => (e as { message?: string }).message ?? String(e)).join('; ');
  const close = error as { code?: number; reason?: string };
  if (typeof close?.code === 'number')
    return `connection closed (${close.code}${close.reason ? ` ${close.reason}` : ''})`;
  return String(error);
}

function onPosition(s: Subscriber, position: string): void {
  s.last = position;
  const big = BigInt(position);
  if (s.lastBig !== undefined && big <= s.lastBig) s.inOrder = false;
  s.lastBig = big;
  const m = measuring;
  if (!m) return;
  s.count++;
  s.hash.add(position);
  m.total++;
  const now = epochMs();
  m.firstAt ??= now;
  m.lastAt = now;
  const second = Math.floor((now - m.startedAt) / 1000);
  if (second < 3600) {
    while (m.perSecond.length <= second) m.perSecond.push(0);
    m.perSecond[second]!++;
  }
  if (m.total >= m.expectTotal) m.finish();
}

async function connect(url: string, authorization: string, count: number, query: string): Promise<void> {
  const started = performance.now();
  errors = [];
  errorCount = 0;
  subscribers = [];
  for (let from = 0; from < count; from += CONNECT_BATCH) {
    const batch: Promise<void>[] = [];
    for (let i = from; i < Math.min(count, from + CONNECT_BATCH); i++) {
      batch.push(
        new Promise<void>((resolve) => {
          const client = createClient({
            url,
            webSocketImpl: WebSocket,
            retryAttempts: 0,
            lazy: true,
            connectionParams: { authorization },
            on: {
              connected: () => resolve(),
              error: (error) => {
                noteError(`connection ${i}: ${describe(error)}`);
                resolve();
              },
            },
          });
          const s: Subscriber = {
            client,
            last: undefined,
            lastBig: undefined,
            count: 0,
            hash: new PositionHash(),
            inOrder: true,
          };
          let stopped = false;
          const unsubscribe = client.subscribe<{ events: { position: string } }>(
            { query },
            {
              next: (result) => {
                if (result.errors?.length)
                  noteError(`subscriber ${i}: ${result.errors.map((e) => e.message).join('; ')}`);
                if (result.data) onPosition(s, result.data.events.position);
              },
              error: (error) => noteError(`subscriber ${i}: ${describe(error)}`),
              complete: () => {
                if (!stopped) noteError(`subscriber ${i}: the server completed the subscription`);
              },
            },
          );
          s.stop = () => {
            stopped = true;
            unsubscribe();
          };
          subscribers.push(s);
        }),
      );
    }
    await Promise.all(batch);
  }
  send({ type: 'connected', ms: Math.round(performance.now() - started), errors: [...errors] });
}

async function probe(position: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const ready = () => subscribers.filter((s) => s.last === position).length;
  while (ready() < subscribers.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  send({ type: 'probed', ready: ready() });
}

function measure(expect: number, idleMs: number, timeoutMs: number): void {
  for (const s of subscribers) {
    s.count = 0;
    s.hash = new PositionHash();
    s.inOrder = true;
  }
  errors = [];
  errorCount = 0;
  const cpu0 = process.cpuUsage();
  const started = epochMs();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(timer);
    const m = measuring!;
    measuring = undefined;
    const cpu = process.cpuUsage(cpu0);
    const tallies: SubscriberTally[] = subscribers.map((s) => ({
      count: s.count,
      hash: s.hash.digest(),
      inOrder: s.inOrder,
    }));
    if (errorCount > errors.length) errors.push(`… ${errorCount - errors.length} more errors`);
    send({
      type: 'measured',
      firstAt: m.firstAt,
      lastAt: m.lastAt,
      complete: m.total >= m.expectTotal,
      tallies,
      errors: [...errors],
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      perSecond: m.perSecond,
    });
  };
  measuring = {
    startedAt: started,
    expectTotal: expect * subscribers.length,
    total: 0,
    firstAt: null,
    lastAt: null,
    perSecond: [],
    finish,
  };
  const timer = setInterval(() => {
    const m = measuring;
    if (!m) return;
    const now = epochMs();
    if (now - (m.lastAt ?? started) > idleMs || now - started > timeoutMs) finish();
  }, 100);
  send({ type: 'measuring' });
}

async function disconnect(): Promise<void> {
  for (const s of subscribers) s.stop?.();
  await Promise.all(subscribers.map((s) => s.client.dispose()));
  subscribers = [];
  send({ type: 'disconnected' });
}

process.on('message', (message: ToSubscribers) => {
  const run = async () => {
    switch (message.type) {
      case 'connect':
        return connect(message.url, message.authorization, message.count, message.query);
      case 'probe':
        return probe(message.position, message.timeoutMs);
      case 'measure':
        return measure(message.expect, message.idleMs, message.timeoutMs);
      case 'disconnect':
        return disconnect();
    }
  };
  run().catch((error: unknown) => send({ type: 'failed', error: (error as Error).stack ?? String(error) }));
});
process.on('disconnect', () => process.exit(0));
