import { rounded, summarize, type Summary } from './stats';

/**
 * An open-loop scheduler: calls `send(i)` at fixed intervals (`ratePerSecond`) for `durationMs`, whether or not
 * earlier sends have been answered, so a slow service faces the offered load instead of slowing the load down
 * (a closed loop would hide queueing: coordinated omission). `send` must not wait for its answer; it tracks that
 * itself. Timers have millisecond granularity, so a send may go out up to a millisecond or two late (several are
 * sent together then); how late, against its slot, is reported as `lagMs` (the scheduler's, i.e. this process's,
 * delay, not the service's).
 */
export async function openLoop(options: {
  ratePerSecond: number;
  durationMs: number;
  send: (i: number) => void;
  onTick?: (elapsedMs: number, sent: number) => void;
}): Promise<{ sent: number; durationMs: number; lagMs: Summary }> {
  const interval = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.round((options.ratePerSecond * options.durationMs) / 1000));
  const lags: number[] = [];
  const start = performance.now();
  const ticker = setInterval(() => options.onTick?.(performance.now() - start, lags.length), 250);
  try {
    let i = 0;
    while (i < total) {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        lags.push(now - (start + i * interval));
        options.send(i);
        i++;
      }
      if (i >= total) break;
      const wait = start + i * interval - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  } finally {
    clearInterval(ticker);
  }
  // The window is `total` slots long, whenever the last send went out.
  return { sent: lags.length, durationMs: total * interval, lagMs: rounded(summarize(lags)) };
}

/** Waits until `done()` holds, checking every `everyMs`; false if `timeoutMs` passed first. */
export async function waitFor(
  done: () => boolean,
  options: { timeoutMs: number; everyMs?: number; onTick?: (elapsedMs: number) => void },
): Promise<boolean> {
  const start = performance.now();
  for (;;) {
    if (done()) return true;
    const elapsed = performance.now() - start;
    if (elapsed >= options.timeoutMs) return false;
    options.onTick?.(elapsed);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 20));
  }
}
