import type { LogPage, StoredEvent } from './types';

/**
 * An event's size, kept on the event itself: one read by the process's tailer is sized there and again by every
 * projector that takes it from the tailer's window (the same object), and serialising payloads to measure them
 * showed in the projectors' profile. A symbol-keyed property rather than a WeakMap: the WeakMap's lookups and its
 * bookkeeping were 7% of a catch-up's CPU profile (self time, docs/performance.md); JSON and GraphQL never
 * see a symbol key, and a spread copy of the event keeps it.
 */
const SIZE = Symbol('jsonBytes');
type Sized = StoredEvent & { [SIZE]?: number };

/** About what an event takes as JSON: its payload and metadata as text, plus a fixed share for the envelope. */
export function approximateJsonBytes(event: StoredEvent): number {
  let size = (event as Sized)[SIZE];
  if (size === undefined) {
    size = 256 + JSON.stringify(event.payload).length + JSON.stringify(event.metadata).length;
    (event as Sized)[SIZE] = size;
  }
  return size;
}

/**
 * Records the size of an event decoded from the JSON texts of its payload and metadata (`jsonLength`, their
 * lengths together), so that measuring it costs no serialising. PostgreSQL's jsonb text has a space after each
 * colon and comma, which a serialised payload has not: a little more, as bounds go, is the safe side.
 */
export function knownJsonBytes(event: StoredEvent, jsonLength: number): void {
  (event as Sized)[SIZE] = 256 + jsonLength;
}

/**
 * The longest prefix of `events` within `budget` bytes as JSON, and at least one event (a reader must always get
 * somewhere). A page of the log is bounded by event count; events are bounded in size only by the input limits
 * (an order of 1,000 items is ~150 KB), so whatever holds or sends a page also bounds it in bytes.
 */
export function withinBytes(events: StoredEvent[], budget: number): StoredEvent[] {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    bytes += approximateJsonBytes(events[i]!);
    if (bytes > budget && i > 0) return events.slice(0, i);
  }
  return events;
}

/**
 * A page of the log cut to `budget` bytes: when events had to go, it ends at the last event kept, so a reader that
 * resumes from `scannedTo` reads the rest next time (the promise of `scannedTo` holds for what is returned).
 */
export function pageWithinBytes(page: LogPage, budget: number): LogPage {
  const events = withinBytes(page.events, budget);
  return events.length === page.events.length ? page : { events, scannedTo: events.at(-1)!.position };
}
