import fs from 'node:fs/promises';
import path from 'node:path';
import type { Figure } from '../stages/types';

function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit.endsWith('/s')) {
    return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
  }
  if (unit === 'messages' || unit === 'events') return Math.round(value).toLocaleString('en-US');
  if (unit === 'ms')
    return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toString();
  return value.toFixed(1);
}

export function formatValue(value: number, unit: string): string {
  return `${number(value, unit)} ${unit}`;
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '—';
  if (ratio !== 0 && ratio < 0.1) return `${ratio.toPrecision(2)}×`;
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/**
 * A Markdown table (readable in a terminal, and pasteable into docs/performance.md as it is): the first column left-aligned,
 * the others right-aligned.
 */
export function markdownTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => (i ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The figures as a Markdown table. */
export function formatTable(figures: Figure[]): string {
  return markdownTable(
    ['figure', 'value', 'raw baseline', 'ratio'],
    figures.map((f) => [
      f.label,
      formatValue(f.value, f.unit),
      f.baseline ? formatValue(f.baseline.value, f.baseline.unit) : '—',
      formatRatio(f.ratio),
    ]),
  );
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  await fs.writeFile(file, `${text}\n`);
}
