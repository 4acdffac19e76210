import { cpuWindow, type CpuWindow } from './proc';
import { rounded, summarize, type Summary } from './stats';

/**
 * One simulated client of a closed-loop load: it sends its next operation as soon as the previous one answered.
 * `op` resolves with the operation's name (latencies are kept per name) or throws (counted as an error).
 */
export type LoadClient = { op(): Promise<string> };

export type LoadTick = { elapsedMs: number; ops: number; errors: number };

export type LoadResult = {
  clients: number;
  durationMs: number;
  /** Operations that completed successfully within the window. */
  ops: number;
  perSecond: number;
  errors: number;
  /** The distinct error messages seen, with their counts (the first few). */
  errorSamples: Record<string, number>;
  /** Round trip of every operation, milliseconds. */
  latencyMs: Summary;
  byOp: Record<string, { ops: number; perSecond: number; latencyMs: Summary }>;
  cpu: CpuWindow;
};

/**
 * Runs `clients` concurrently for `durationMs`. Only operations that complete inside the window count, so the
 * rate is exact however long the last ones take; a client starts no operation after the deadline.
 */
export async function closedLoop(options: {
  clients: LoadClient[];
  durationMs: number;
  /** The server process and the database's postmaster (when known), for their CPU use over the window. */
  serverPid: number;
  databasePid?: number;
  onTick?: (tick: LoadTick) => void;
}): Promise<LoadResult> {
  const latencies = new Map<string, number[]>();
  const errorSamples: Record<string, number> = {};
  let ops = 0;
  let errors = 0;
  let aborted = false;

  const endCpu = cpuWindow(options.serverPid, options.databasePid);
  const start = performance.now();
  const deadline = start + options.durationMs;
  const ticker = setInterval(() => options.onTick?.({ elapsedMs: performance.now() - start, ops, errors }), 250);

  const run = async (client: LoadClient) => {
    while (!aborted) {
      const sent = performance.now();
      if (sent >= deadline) return;
      try {
        const name = await client.op();
        const answered = performance.now();
        if (answered > deadline) return;
        ops++;
        let list = latencies.get(name);
        if (!list) latencies.set(name, (list = []));
        list.push(answered - sent);
      } catch (error) {
        if (performance.now() > deadline) return;
        errors++;
        const message = error instanceof Error ? error.message : String(error);
        if (message in errorSamples || Object.keys(errorSamples).length < 5) {
          errorSamples[message] = (errorSamples[message] ?? 0) + 1;
        }
        // A dead or broken server fails fast: do not spin for the rest of the window.
        if (errors >= 200 && errors > ops) aborted = true;
      }
    }
  };
  try {
    await Promise.all(options.clients.map(run));
  } finally {
    clearInterval(ticker);
  }
  const cpu = endCpu();
  const durationMs = Math.min(performance.now(), deadline) - start;
  const rate = (n: number) => Number(((n * 1000) / durationMs).toFixed(1));
  const all = [...latencies.values()].flat();
  return {
    clients: options.clients.length,
    durationMs: Math.round(durationMs),
    ops,
    perSecond: rate(ops),
    errors,
    errorSamples,
    latencyMs: rounded(summarize(all)),
    byOp: Object.fromEntries(
      [...latencies].map(([name, list]) => [
        name,
        { ops: list.length, perSecond: rate(list.length), latencyMs: rounded(summarize(list)) },
      ]),
    ),
    cpu,
  };
}
