/**
 * Subscribers deliver in turns. A send to a socket with room completes without going back to the event loop, so
 * a thousand subscribers draining a burst would otherwise hold the loop for as long as the whole burst takes
 * (docs/performance.md has the figures), starving HTTP requests, pings and the database clients. Each delivery asks
 * for a turn: once the current slice of the loop has run for SLICE_MS, the caller waits for the next loop
 * iteration (setImmediate, after pending I/O) and a new slice begins. Time-based rather than every N messages,
 * so a quiet server pays nothing: a yield every few items made fan-out several times slower.
 */
const SLICE_MS = 20;

let sliceStart: number | undefined;

function endSlice(): void {
  sliceStart = undefined;
}

/** undefined: go on now; a promise: wait for it first. */
export function takeTurn(): Promise<void> | undefined {
  const now = performance.now();
  if (sliceStart === undefined) {
    sliceStart = now;
    setImmediate(endSlice);
    return undefined;
  }
  if (now - sliceStart < SLICE_MS) return undefined;
  return new Promise((resolve) => setImmediate(resolve));
}
