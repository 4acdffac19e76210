import { markdownTable } from './report';
import type { ServerProcess } from './server';

/**
 * The server's own `/metrics`, scraped between stages as Prometheus would (with the bench's admin token): the run
 * shows what an operator's dashboard would have shown moving while the stages ran, and a scrape that breaks or
 * counters that stand still while commands are sent fail the run.
 */

/** One sample line of the Prometheus text format: series name (labels included) → value. */
export type Samples = Map<string, number>;

export async function scrapeMetrics(server: ServerProcess): Promise<Samples> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: server.authorization } });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return parseSamples(await res.text());
}

/**
 * The text format's sample lines are `name{labels} value [timestamp]`; label values may hold spaces, so the value
 * is read from the end of the line. A hand-written reader: prom-client writes this format but has no parser, and
 * the bench only needs sums and single gauges.
 */
export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const close = line.lastIndexOf('}');
    const rest = close >= 0 ? line.slice(close + 1).trim() : line.slice(line.indexOf(' ') + 1).trim();
    const series = close >= 0 ? line.slice(0, close + 1) : line.slice(0, line.indexOf(' '));
    const value = Number(rest.split(' ')[0]);
    if (series && Number.isFinite(value)) samples.set(series, value);
  }
  return samples;
}

/** The sum over every series of one metric (all label combinations), or undefined when the metric is absent. */
export function total(samples: Samples, metric: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum: number | undefined;
  for (const [series, value] of samples) {
    const name = series.includes('{') ? series.slice(0, series.indexOf('{')) : series;
    if (name !== metric || !wanted.every((label) => series.includes(label))) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}

/** The columns the bench shows: what moves when commands, projectors, subscribers and the relay work. */
const COLUMNS: { label: string; read: (s: Samples) => number | undefined; unit?: 'MiB' }[] = [
  { label: 'commands', read: (s) => total(s, 'orderstream_commands_total') },
  { label: 'events appended', read: (s) => total(s, 'orderstream_events_appended_total') },
  {
    label: 'orders projector batches',
    read: (s) => total(s, 'orderstream_projection_batch_duration_seconds_count', { projector: 'orders' }),
  },
  { label: 'subscription messages', read: (s) => total(s, 'orderstream_subscription_messages_total') },
  { label: 'WebSockets open', read: (s) => total(s, 'orderstream_websocket_connections') },
  { label: 'HTTP requests', read: (s) => total(s, 'orderstream_http_request_duration_seconds_count') },
  { label: 'RSS', read: (s) => total(s, 'process_resident_memory_bytes'), unit: 'MiB' },
];

export type MetricsRow = { after: string; values: Record<string, number | null> };

export function metricsRow(after: string, samples: Samples): MetricsRow {
  const values: Record<string, number | null> = {};
  for (const column of COLUMNS) {
    const value = column.read(samples);
    values[column.label] = value === undefined ? null : column.unit === 'MiB' ? Math.round(value / 1024 / 1024) : value;
  }
  return { after, values };
}

/** The rows as a Markdown table, one column per metric, one row per scrape. */
export function formatMetricsTable(rows: MetricsRow[]): string {
  const header = ['/metrics after', ...COLUMNS.map((c) => (c.unit ? `${c.label} (${c.unit})` : c.label))];
  const cells = rows.map((row) => [
    row.after,
    ...COLUMNS.map((c) => {
      const value = row.values[c.label];
      return value === null || value === undefined ? '—' : Math.round(value).toLocaleString('en-US');
    }),
  ]);
  return markdownTable(header, cells);
}

/**
 * Problems the scrapes show: counters that must have moved over the run (the stages send commands and deliver
 * subscription messages) and did not, or that went backwards (a counter reset means the server restarted).
 */
export function metricsProblems(rows: MetricsRow[]): string[] {
  if (rows.length < 2) return [];
  const problems: string[] = [];
  const first = rows[0]!.values;
  const last = rows[rows.length - 1]!.values;
  for (const counter of ['commands', 'events appended', 'HTTP requests']) {
    if (last[counter] === null) problems.push(`/metrics has no ${counter} figure`);
    else if (!(last[counter]! > (first[counter] ?? 0))) problems.push(`/metrics: ${counter} did not move over the run`);
  }
  for (let i = 1; i < rows.length; i++) {
    for (const counter of ['commands', 'events appended', 'subscription messages']) {
      const before = rows[i - 1]!.values[counter];
      const after = rows[i]!.values[counter];
      if (before != null && after != null && after < before) {
        problems.push(`/metrics: ${counter} went backwards after ${rows[i]!.after}`);
      }
    }
  }
  return problems;
}
