import type { EventFilter, EventStore, StoredEvent, Wake } from '../../src/eventstore';

type LogRead = { after: bigint; limit: number; filter: EventFilter | undefined };

/**
 * An in-memory global log with the read side of the event store (`readLog`, `logHead`, `onAppended`), for unit
 * tests of the live machinery without a database. It keeps the real reader's contract: events in position order,
 * `scannedTo` as far as the read is complete (the last event of a full page, else the head), and the filter fields
 * of `EventFilter`. Positions are sparse (steps of 10), as the real ones are. Every committed event is visible at
 * once: the real reader's horizon is the log reader's concern, tested against PostgreSQL.
 */
export class FakeLog {
  readonly events: StoredEvent[] = [];
  /** Every `readLog` call, in order: the tailer's (no filter) and the feeds' (with theirs). */
  readonly reads: LogRead[] = [];
  private readonly appended = new Set<(wake: Wake) => void>();

  /** The read side of an `EventStore` over this log (the rest of the store is not there: a test never needs it). */
  get store(): EventStore {
    const store: Pick<EventStore, 'readLog' | 'logHead' | 'onAppended' | 'honourErasures'> = {
      readLog: async (after, limit, filter) => this.readLog(after, limit, filter),
      // Nobody is forgotten here.
      honourErasures: async (events) => events,
      logHead: async () => this.head,
      onAppended: (fn) => {
        this.appended.add(fn);
        return () => this.appended.delete(fn);
      },
    };
    return store as EventStore;
  }

  get head(): bigint {
    return this.events.at(-1)?.position ?? 0n;
  }

  /** Appends `count` events (one transaction) and tells the `onAppended` listeners, as an append here does. */
  append(count: number, options: { aggregateType?: string; payload?: unknown; ownerId?: string } = {}): StoredEvent[] {
    const added: StoredEvent[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.events.length + 1;
      const event: StoredEvent = {
        eventId: `event-${n}`,
        eventType: 'Tick',
        aggregateId: `aggregate-${n}`,
        aggregateType: options.aggregateType ?? 'Thing',
        version: 1,
        position: BigInt(n * 10),
        timestamp: new Date(1_700_000_000_000 + n),
        schemaVersion: 1,
        payload: options.payload ?? { n },
        metadata: { correlationId: `c-${n}`, causationId: `c-${n}`, userId: null },
        ownerId: options.ownerId ?? null,
      };
      this.events.push(event);
      added.push(event);
    }
    for (const fn of [...this.appended]) fn('news');
    return added;
  }

  /** Positions of the events after `after` (all, or those of `aggregateType`). */
  positions(after = 0n, aggregateType?: string): bigint[] {
    return this.events
      .filter((e) => e.position > after && (aggregateType === undefined || e.aggregateType === aggregateType))
      .map((e) => e.position);
  }

  private readLog(after: bigint, limit: number, filter?: EventFilter): { events: StoredEvent[]; scannedTo: bigint } {
    this.reads.push({ after, limit, filter });
    const events: StoredEvent[] = [];
    for (const event of this.events) {
      if (event.position <= after || !matchesFilter(filter ?? {}, event)) continue;
      events.push(event);
      if (events.length === limit) break;
    }
    const full = events.length === limit;
    const scannedTo = full ? events.at(-1)!.position : this.head > after ? this.head : after;
    return { events, scannedTo };
  }
}

/** The filter as the SQL reader applies it, written out here independently of the code under test. */
function matchesFilter(filter: EventFilter, event: StoredEvent): boolean {
  if (filter.aggregateId !== undefined && event.aggregateId !== filter.aggregateId) return false;
  if (filter.aggregateType !== undefined && event.aggregateType !== filter.aggregateType) return false;
  if (filter.eventTypes !== undefined && !filter.eventTypes.includes(event.eventType)) return false;
  if (filter.correlationIds && !filter.correlationIds.includes(event.metadata.correlationId)) return false;
  if (filter.fromTimestamp !== undefined && event.timestamp < filter.fromTimestamp) return false;
  if (filter.ownerId !== undefined && event.ownerId !== filter.ownerId) return false;
  return true;
}
