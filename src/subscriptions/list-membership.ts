import type { LiveRow, RowMessages } from './row-updates';

export type ListChangeKind = 'ADDED' | 'UPDATED' | 'REMOVED';

/** One message of a live list: how the row changed the subscriber's list, and the row as it now stands. */
export type ListChange<Row> = { change: ListChangeKind; row: Row };

/** Ends a live list that has grown past its limit: the client narrows its filter and subscribes again. */
export class LiveListTooLarge {
  constructor(readonly limit: number) {}
}

/**
 * The rows a live-list subscriber holds, as this subscription told it (its first rows, then every ADDED and
 * REMOVED), with the version it was last sent. Each row's message is decided when the client takes it, from this
 * and the filter applied to the row as it now stands: ADDED when it enters, UPDATED when it changes and stays,
 * REMOVED when it leaves, nothing when it was never in and is not now. So however the changes of one row were
 * combined on the way (by the feed, or while the client lagged), what the client holds follows exactly; placed and
 * paid seen as one message by a PLACED list is nothing at all. At most `limit` rows: one more ends the list.
 */
export class ListMembership<Row extends LiveRow> implements RowMessages<Row, ListChange<Row> | LiveListTooLarge> {
  private readonly held = new Map<string, number>();

  constructor(
    private readonly matches: (row: Row) => boolean,
    private readonly limit: number,
  ) {}

  /** Whether the subscriber holds this row: its changes concern it even once the row stops matching. */
  holds(id: string): boolean {
    return this.held.has(id);
  }

  take(row: Row): { message: ListChange<Row> | LiveListTooLarge; last?: boolean } | undefined {
    const sent = this.held.get(row.id);
    if (sent !== undefined && sent >= row.version) return undefined;
    const matches = this.matches(row);
    if (sent === undefined) {
      if (!matches) return undefined;
      if (this.held.size >= this.limit) return { message: new LiveListTooLarge(this.limit), last: true };
      this.held.set(row.id, row.version);
      return { message: { change: 'ADDED', row } };
    }
    if (matches) {
      this.held.set(row.id, row.version);
      return { message: { change: 'UPDATED', row } };
    }
    this.held.delete(row.id);
    return { message: { change: 'REMOVED', row } };
  }
}
