import type { EventFilter, EventStore, StoredEvent } from '../eventstore';
import { BoundedQueue } from './bounded-queue';
import type { LogTailer } from './tailer';

/** Ends a subscription whose client fell too far behind; it resumes with the cursor of the last event it got. */
export class SubscriberTooSlow {}

export function matches(filter: EventFilter, event: StoredEvent): boolean {
  return (
    (filter.aggregateId === undefined || event.aggregateId === filter.aggregateId) &&
    (filter.aggregateType === undefined || event.aggregateType === filter.aggregateType) &&
    (filter.eventTypes === undefined || filter.eventTypes.includes(event.eventType)) &&
    (filter.correlationId === undefined || event.metadata.correlationId === filter.correlationId) &&
    (filter.fromTimestamp === undefined || event.timestamp >= filter.fromTimestamp)
  );
}

const CATCH_UP_PAGE = 500;

/**
 * Matching events in log order: first, with `after`, every one after that position (read from the log with the
 * gap-safe reader), then live ones from the process's tailer. The live listener is registered before the catch-up
 * starts, so nothing falls between the two; the catch-up may read a little past where the tailer was, so events
 * at or below the last one delivered are dropped at the seam. Without `after`, it starts at the head.
 */
export async function* eventFeed(
  store: EventStore,
  tailer: LogTailer,
  filter: EventFilter,
  after: bigint | undefined,
  bufferLimit: number,
): AsyncGenerator<StoredEvent | SubscriberTooSlow> {
  const live = new BoundedQueue<StoredEvent>(bufferLimit, () => registration.close());
  const registration = tailer.listen((events) => {
    for (const event of events) if (matches(filter, event) && !live.push(event)) return;
  });
  let last = after ?? registration.from;
  try {
    if (after !== undefined) {
      for (let from = after; from < registration.from; ) {
        const page = await store.readLog(from, CATCH_UP_PAGE, filter);
        for (const event of page.events) {
          yield event;
          last = event.position;
        }
        if (page.scannedTo <= from) break;
        from = page.scannedTo;
      }
    }
    for await (const event of live) {
      if (event.position <= last) continue;
      last = event.position;
      yield event;
    }
    if (live.overflowed) yield new SubscriberTooSlow();
  } finally {
    await live.return();
  }
}
