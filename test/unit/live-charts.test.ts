import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

// The live page's chart helpers are browser scripts (src/edge/pages), not modules: run them in a context of their
// own, whose Date is this realm's as it is when they ask, so that Jest's fake timers (installed later) move it.

type Series = {
  add(t: number, n?: number): void;
  set(t: number, value: number): void;
  cover(from: number, to: number): void;
  sum(from: number, to: number): number;
  steps(now: number, stepMs: number, combine: 'mean' | 'max'): (number | null)[];
};
type Helpers = {
  secondsSeries(windowMs: number): Series;
  roundTop(value: number): number;
  pathOf(steps: (number | null)[], top: number, area: boolean): string;
};

const PAGES = path.resolve(__dirname, '../../src/edge/pages');
const context = vm.createContext({
  get Date() {
    return globalThis.Date;
  },
});
for (const file of ['live-series.js', 'live-chart.js']) {
  vm.runInContext(fs.readFileSync(path.join(PAGES, file), 'utf8'), context, { filename: file });
}
const { secondsSeries, roundTop, pathOf } = context as unknown as Helpers;

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
beforeEach(() => jest.useFakeTimers({ now: NOW }));
afterEach(() => jest.useRealTimers());

describe('secondsSeries', () => {
  it('counts events per second, in steps of several seconds, with the seconds not followed as gaps', () => {
    const series = secondsSeries(60_000);
    for (let i = 0; i < 10; i++) series.add(NOW - 12_000);
    series.add(NOW - 3_000);
    // 12 steps of 5 s, the newest ending with the last whole second.
    const steps = series.steps(NOW, 5000, 'mean');
    expect(steps).toHaveLength(12);
    // Only the seconds with an event are known: a step is the mean of its known seconds.
    expect(steps.filter((s) => s !== null)).toEqual([10, 1]);
    expect(series.sum(NOW - 20_000, NOW)).toBe(11);

    // Followed from 20 s ago: the seconds without an event count 0.
    series.cover(NOW - 20_000, NOW);
    const covered = series.steps(NOW, 5000, 'mean');
    expect(covered.slice(0, 8)).toEqual(Array(8).fill(null));
    expect(covered.slice(8)).toEqual([0, 2, 0, 0.2]);
  });

  it('keeps the largest sample of a step for lag, and forgets what falls out of the window', () => {
    const series = secondsSeries(60_000);
    series.set(NOW - 4_000, 7);
    series.set(NOW - 2_000, 3);
    expect(series.steps(NOW, 5000, 'max').at(-1)).toBe(7);

    jest.setSystemTime(NOW + 61_000);
    series.add(NOW + 60_000);
    expect(series.steps(NOW + 61_000, 5000, 'max').filter((s) => s !== null)).toEqual([1]);
    // An event older than the window is not kept.
    series.add(NOW);
    expect(series.sum(NOW - 60_000, NOW + 61_000)).toBe(1);
  });
});

describe('the charts', () => {
  it('tops a scale at a round number', () => {
    expect([0, 0.3, 1, 1.5, 3, 7, 20, 21, 120, 4999].map(roundTop)).toEqual([1, 1, 1, 2, 5, 10, 20, 50, 200, 5000]);
  });

  it('breaks a line at each gap, and draws a step alone as a short level line', () => {
    const line = pathOf([null, 1, 2, null, 3, null], 4, false);
    expect(line.match(/M/g)).toHaveLength(2);
    const runs = line.split('M').filter(Boolean);
    expect(runs).toHaveLength(2);
    // The lone step: two points at one height, half a step apart.
    const lone = runs[1]!.split('L').map((point) => point.split(',').map(Number));
    expect(lone).toHaveLength(2);
    expect(lone[0]![1]).toBe(lone[1]![1]);
    expect(lone[1]![0]! - lone[0]![0]!).toBeCloseTo(30);
    // Filled: each run closed down to the baseline.
    expect(pathOf([null, 1, 2, null, 3, null], 4, true).match(/Z/g)).toHaveLength(2);
  });
});
