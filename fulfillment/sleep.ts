import { setTimeout as wait } from 'node:timers/promises';

/** Waits `ms`; resolves false at once if `signal` aborts first (stopping), true when the time has passed. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await wait(ms, undefined, { signal });
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}
