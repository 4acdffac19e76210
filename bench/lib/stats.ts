/** Latency and throughput arithmetic: nothing here knows about the service. */

export type Summary = {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
};

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  let sum = 0;
  for (const v of values) sum += v;
  return {
    count: values.length,
    mean: values.length ? sum / values.length : Number.NaN,
    min: values.length ? values[0]! : Number.NaN,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1]! : Number.NaN,
  };
}

/** Rounds every number of a summary for the JSON report (µs precision for milliseconds). */
export function rounded(summary: Summary, digits = 3): Summary {
  const r = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);
  return {
    count: summary.count,
    mean: r(summary.mean),
    min: r(summary.min),
    p50: r(summary.p50),
    p95: r(summary.p95),
    p99: r(summary.p99),
    max: r(summary.max),
  };
}

/** The median of the samples that are known (the upper one of an even count); undefined when none is. */
export function median(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return known.length ? known[Math.floor(known.length / 2)] : undefined;
}

const MiB = 1024 * 1024;

/** Bytes as MiB, one decimal. */
export const mib = (bytes: number) => Number((bytes / MiB).toFixed(1));
