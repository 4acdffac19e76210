import { closedLoop, type LoadClient, type LoadResult } from './load';
import { waitUntilIdle } from './proc';
import type { ServerProcess } from './server';
import type { BenchContext } from '../stages/types';

/** Closed-loop measurements as the appends and queries stages take them: progress, CPU, disturbance warnings. */

function describe(result: LoadResult, unit: string): string {
  const cpu = result.cpu;
  const cores = [
    cpu.serverCores !== undefined ? `server ${cpu.serverCores} (kernel ${cpu.serverSystemCores})` : undefined,
    cpu.databaseCores !== undefined ? `postgres ${cpu.databaseCores}` : undefined,
    `bench ${cpu.benchCores}`,
    cpu.otherCores !== undefined ? `other ${cpu.otherCores}` : undefined,
  ].filter(Boolean);
  return [
    `${result.perSecond.toFixed(0)} ${unit}`,
    `p50 ${result.latencyMs.p50.toFixed(2)} ms`,
    `p99 ${result.latencyMs.p99.toFixed(2)} ms`,
    `${result.errors} errors`,
    `CPU cores: ${cores.join(', ')}`,
  ].join(', ');
}

/** CPU milliseconds per operation, of the server and of PostgreSQL, where known. */
export function costPerOp(result: LoadResult) {
  const ms = (cores: number | undefined) =>
    cores === undefined || result.perSecond === 0 ? undefined : Number(((cores * 1000) / result.perSecond).toFixed(3));
  return { serverCpuMs: ms(result.cpu.serverCores), postgresCpuMs: ms(result.cpu.databaseCores) };
}

/** What a measurement needs of the run: the measured server is the bench's own, or another process (the peer). */
export type MeasureContext = Pick<BenchContext, 'progress' | 'databasePid'> & {
  server: Pick<ServerProcess, 'pid' | 'assertAlive'>;
};

/** Other processes busier than this (in cores) during a measurement make its figures suspect. */
export const NOISY_NEIGHBOURS = 0.3;

export async function measure(
  context: MeasureContext,
  label: string,
  unit: string,
  clients: LoadClient[],
  durationMs: number,
): Promise<LoadResult> {
  const { progress, server } = context;
  server.assertAlive();
  const result = await closedLoop({
    clients,
    durationMs,
    serverPid: server.pid,
    databasePid: context.databasePid,
    onTick: ({ elapsedMs, ops, errors }) =>
      progress.update(
        `${label}: ${(elapsedMs / 1000).toFixed(1)}/${(durationMs / 1000).toFixed(0)} s, ${ops} ops ` +
          `(${((ops * 1000) / Math.max(1, elapsedMs)).toFixed(0)} ${unit})${errors ? `, ${errors} errors` : ''}`,
      ),
  });
  progress.done(`${label}: ${describe(result, unit)}`);
  for (const [message, count] of Object.entries(result.errorSamples)) progress.warn(`${label}: ${count}× ${message}`);
  if (!label.startsWith('warm-up') && (result.cpu.otherCores ?? 0) > NOISY_NEIGHBOURS) {
    progress.warn(`${label}: other processes used ${result.cpu.otherCores} cores meanwhile: this figure is disturbed`);
  }
  server.assertAlive();
  return result;
}

/** Lets the server finish what the previous measurement left it (projectors catching up) before the next one. */
export async function settle(
  context: MeasureContext,
  maxMs: number,
  after: string,
): Promise<{ seconds: number; idle?: boolean; lastCores?: number }> {
  const result = await waitUntilIdle(context.server.pid, { maxMs });
  if (result.idle === false) {
    context.progress.warn(
      `the server was still busy (${result.lastCores} cores) ${result.seconds} s after ${after}; measuring anyway`,
    );
  } else if (result.seconds > 1.5) {
    context.progress.info(`the server was busy for ${result.seconds} s after ${after} (catching up), now idle`);
  }
  return result;
}
