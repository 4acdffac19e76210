import { processMemory } from '../lib/proc';
import { mib } from '../lib/stats';
import { figure, type Stage } from './types';

/**
 * The server process's resident memory (VmRSS of /proc/<pid>/status) at one point of the run: `idle` before any
 * load, or right after a named stage, together with its peak so far (VmHWM), i.e. the peak under that stage's load
 * when it is the first load of the run. Skipped (no figure) where /proc is missing.
 */
export function memoryStage(point: { id: string; label: string; settleMs?: number; withPeak?: boolean }): Stage {
  return {
    name: `memory (${point.label})`,
    estimateSeconds: () => (point.settleMs ?? 0) / 1000,
    async run({ server, progress }) {
      server.assertAlive();
      if (point.settleMs) await new Promise((resolve) => setTimeout(resolve, point.settleMs));
      const memory = processMemory(server.pid);
      if (!memory) {
        progress.warn(`no /proc/${server.pid}/status on this platform: memory not measured`);
        return { figures: [] };
      }
      progress.info(`server pid ${server.pid}: RSS ${mib(memory.rssBytes)} MiB, peak ${mib(memory.peakRssBytes)} MiB`);
      const figures = [figure('memory', `${point.id}.rss`, `server RSS, ${point.label}`, mib(memory.rssBytes), 'MiB')];
      if (point.withPeak) {
        figures.push(
          figure(
            'memory',
            `${point.id}.peak`,
            `server peak RSS (VmHWM), through ${point.label.replace(/^after /, '')}`,
            mib(memory.peakRssBytes),
            'MiB',
          ),
        );
      }
      return { figures, details: { pid: server.pid, ...memory } };
    },
  };
}
