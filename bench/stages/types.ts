import type { Progress } from '../lib/progress';
import type { ServerProcess } from '../lib/server';

export type Mode = 'quick' | 'full';

/** What every stage gets: the running server (a separate process), the run's database, and where to report. */
export type BenchContext = {
  mode: Mode;
  server: ServerProcess;
  /** The run's own database (fresh and migrated); stages may write raw baselines to it in their own id space. */
  databaseUrl: string;
  /** The database server's postmaster, when this run started it (for its CPU use); undefined otherwise. */
  databasePid: number | undefined;
  progress: Progress;
};

/** A raw baseline measured in the same run: what the same work costs without the service. */
export type Baseline = { label: string; value: number; unit: string };

/**
 * One row of the table. `ratio` is value ÷ baseline.value, so for a rate below 1 means the service does less than
 * raw PostgreSQL, and for a latency above 1 means it takes longer.
 */
export type Figure = {
  stage: string;
  /** Stable id for the JSON report, e.g. `appends.c8.rate`. */
  id: string;
  label: string;
  value: number;
  unit: string;
  baseline?: Baseline;
  ratio?: number;
};

export type StageResult = {
  figures: Figure[];
  /** Everything else the stage measured, for bench/results/latest.json. */
  details?: unknown;
  /** Caveats printed under the table (e.g. other processes competing for the CPU during a measurement). */
  notes?: string[];
  /** Problems that make the figures suspect (e.g. errors returned by the service); they fail the run. */
  problems?: string[];
};

/**
 * A benchmark stage: one module under bench/stages/. Stages run in order against the same server; a stage that
 * needs a feature the service does not have yet is simply not in the list (no placeholder figures).
 */
export type Stage = {
  name: string;
  /** Rough wall-clock budget in seconds, shown before it starts. */
  estimateSeconds(mode: Mode): number;
  run(context: BenchContext): Promise<StageResult>;
};

export function figure(
  stage: string,
  id: string,
  label: string,
  value: number,
  unit: string,
  baseline?: Baseline,
): Figure {
  return {
    stage,
    id: `${stage}.${id}`,
    label,
    value,
    unit,
    baseline,
    ratio: baseline && baseline.value !== 0 ? value / baseline.value : undefined,
  };
}
