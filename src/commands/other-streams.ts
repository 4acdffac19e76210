import type { EventStore, StreamCondition } from '../eventstore';
import type { Aggregate, DomainEvent } from './aggregate';
import { loadAggregate } from './load';

/**
 * Other aggregates a decision reads (placing an order reads its customer): each is loaded as the command side loads
 * its own, and the version read becomes a condition of the command's append (`expectStreams`), so the events commit
 * only if what they were decided on still stands. A stream that does not exist is read as the aggregate's initial
 * state and not held (there is no row to hold): a decision must not rely on another stream's absence.
 */
export class OtherStreams {
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly store: EventStore,
    /** The command's own aggregate, whose version its append checks already. */
    private readonly ownId: string,
  ) {}

  async load<S, E extends DomainEvent>(aggregate: Aggregate<S, E>, aggregateId: string): Promise<S> {
    const { loaded } = await loadAggregate(this.store, aggregate, aggregateId);
    // The first read of a stream is the one decided on: a later, newer read fails the append, which is then retried.
    if (loaded.version > 0 && aggregateId !== this.ownId && !this.versions.has(aggregateId)) {
      this.versions.set(aggregateId, loaded.version);
    }
    return loaded.state;
  }

  /** The append's conditions: every stream read, at the version read. */
  get conditions(): StreamCondition[] {
    return [...this.versions].map(([aggregateId, version]) => ({ aggregateId, version }));
  }
}
