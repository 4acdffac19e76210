import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma';
import { ConsumerLoop } from '../log/loop';
import type { LogTailer } from '../log/tailer';
import type { ProjectionRunner } from '../projections/runner';
import type { ReadModel } from '../projections/types';
import { ListMembership, type ListChange, type LiveListTooLarge } from './list-membership';
import { LatestVersions, RowUpdates, type LiveRow } from './row-updates';

/**
 * A read model subscribers can follow, as its slice registers it: which events change which of its rows, which
 * projector writes them, and how they are read from the query table.
 */
export type LiveReadModel<Row extends LiveRow> = {
  model: ReadModel<Row>;
  /** The projector that writes the rows (its checkpoint says when a change can be pushed). */
  projector: string;
  /** The event types that change a row: the row's id is the event's aggregateId. */
  eventTypes: readonly string[];
  /** The rows with these ids, from the query table (unscoped: each watcher's rule filters). */
  read(prisma: PrismaClient, ids: string[]): Promise<Row[]>;
};

/** One subscriber: the rows it wants, and what it has waiting. */
type Watcher = { matches(row: LiveRow): boolean; updates: RowUpdates<LiveRow, unknown> };

/**
 * A followed read model's changes not yet published: the position and version of each row's latest event.
 * `turn`: pushing rows and starting live lists take turns, so a list's first rows are never older than a change
 * pushed after them; `starting`, the list starts waiting to share the next turn.
 */
type Channel = {
  source: LiveReadModel<LiveRow>;
  watchers: Set<Watcher>;
  pending: Map<string, { position: bigint; version: number }>;
  lastPushed: Map<string, number>;
  turn: Promise<unknown>;
  starting: (() => Promise<void>)[] | undefined;
};

/** What a live-list subscriber is sent: its list's changes, or why it ended. */
export type ListUpdates<Row extends LiveRow> = RowUpdates<Row, ListChange<Row> | LiveListTooLarge>;

const WAIT_SLICE_MS = 5000;
const REMEMBERED_VERSIONS = 50_000;

/**
 * Read-model changes for subscribers, on every instance, whichever instance runs the projectors: the log says
 * which rows changed (this process's tailer sees every instance's appends); once the writing projector's
 * checkpoint (announced across instances) has passed those events, the rows are pushed: as the projector in this
 * process has just written them, or else read from the query table. The log and the tables are the truth;
 * notifications only wake things up. Rows changed while the projector is behind are coalesced, so a stalled
 * projector costs one entry per row, not one per event. Which rows a subscriber gets is its slice's rule.
 */
export class ReadModelFeed {
  private readonly channels = new Map<string, Channel>();
  private readonly loop: ConsumerLoop;
  private closeTail: (() => void) | undefined;

  constructor(
    private readonly tailer: LogTailer,
    private readonly projections: ProjectionRunner,
    private readonly prisma: PrismaClient,
    logger: Logger,
    sources: readonly LiveReadModel<LiveRow>[],
  ) {
    for (const source of sources) {
      this.channels.set(source.model.name, {
        source,
        watchers: new Set(),
        pending: new Map(),
        lastPushed: new Map(),
        turn: Promise.resolve(),
        starting: undefined,
      });
    }
    // No polling: there is work only when the tailer hands over events, and it pokes.
    this.loop = new ConsumerLoop({ name: 'read-model feed', step: () => this.step(), retryMs: 1000, logger });
  }

  start(): void {
    this.closeTail = this.tailer.listen((events) => {
      for (const event of events) {
        for (const { source, pending } of this.channels.values()) {
          if (source.eventTypes.includes(event.eventType)) {
            pending.set(event.aggregateId, { position: event.position, version: event.version });
          }
        }
      }
      this.loop.poke();
    }).close;
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.closeTail?.();
    await this.loop.stop();
    for (const { watchers } of this.channels.values()) for (const w of watchers) w.updates.end();
  }

  /**
   * Every change of the rows of `model` that `matches`, from now on, with at most `limit` rows waiting for the
   * client; with `current`, first the row as it is now. That is read after the watch is registered, so a change
   * between the two is not missed (versions dedupe).
   */
  watch<Row extends LiveRow>(
    model: ReadModel<Row>,
    matches: (row: Row) => boolean,
    limit: number,
    current?: () => Promise<Row | null>,
  ): RowUpdates<Row> {
    const channel = this.channelOf(model);
    const updates = new RowUpdates<Row>(limit, () => channel.watchers.delete(watcher), new LatestVersions());
    // The channel is keyed by this model's name, so every row it pushes is a Row.
    const watcher = { matches, updates } as unknown as Watcher;
    channel.watchers.add(watcher);
    if (current) updates.startWith(current());
    return updates;
  }

  /**
   * A live list: first the rows of `model` that `matches` now (`initial`, which bounds them), each ADDED, then
   * each change that adds a row to the list, updates one in it or removes one from it (list-membership.ts). The
   * watch starts and `initial` is read in the channel's turn, so no change is pushed in between: a change the
   * table already holds is in the first rows, any later one is pushed after them. A row held stays watched after
   * it stops matching (so it can be REMOVED); at most `limit` rows waiting beyond the first ones.
   */
  async watchList<Row extends LiveRow>(
    model: ReadModel<Row>,
    matches: (row: Row) => boolean,
    limits: { waiting: number; list: number },
    initial: () => Promise<Row[]>,
  ): Promise<ListUpdates<Row>> {
    const channel = this.channelOf(model);
    return this.startInTurn(channel, async () => {
      const rows = await initial();
      const membership = new ListMembership(matches, limits.list);
      const updates: ListUpdates<Row> = new RowUpdates(
        limits.waiting + rows.length,
        () => channel.watchers.delete(watcher),
        membership,
      );
      updates.seed(rows);
      // The channel is keyed by this model's name, so every row it pushes is a Row.
      const watcher = {
        matches: (row: Row) => matches(row) || membership.holds(row.id) || updates.holds(row.id),
        updates,
      } as unknown as Watcher;
      channel.watchers.add(watcher);
      return updates;
    });
  }

  private channelOf(model: ReadModel<unknown>): Channel {
    const channel = this.channels.get(model.name);
    if (!channel) throw new Error(`no slice registers ${model.name} as a live read model`);
    return channel;
  }

  /**
   * Runs a list's start in the channel's next turn, together with every other start waiting for it: their reads go
   * at once, and the channel's pushes wait once for all of them (many clients reconnecting together cost one wait).
   */
  private startInTurn<T>(channel: Channel, start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => start().then(resolve, reject);
      if (channel.starting) {
        channel.starting.push(run);
        return;
      }
      const starts = [run];
      channel.starting = starts;
      void this.inTurn(channel, async () => {
        channel.starting = undefined;
        await Promise.all(starts.map((started) => started()));
      });
    });
  }

  /** Runs `task` once the channel's earlier turns are over. */
  private inTurn<T>(channel: Channel, task: () => Promise<T>): Promise<T> {
    const run = channel.turn.then(task);
    channel.turn = run.catch(() => undefined);
    return run;
  }

  /** Publishes what changed since the last step; false when nothing did. */
  private async step(): Promise<boolean> {
    const busy = [...this.channels.values()].filter((channel) => channel.pending.size > 0);
    if (busy.length === 0) return false;
    // Each model on its own: a projector that is behind holds back only its own rows.
    const outcomes = await Promise.allSettled(busy.map((channel) => this.stepChannel(channel)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return true;
  }

  private async stepChannel(channel: Channel): Promise<void> {
    const batch = new Map(channel.pending);
    channel.pending.clear();
    try {
      await this.publish(channel, batch);
    } catch (error) {
      // Retried (after the loop's pause) with whatever changed meanwhile.
      for (const [id, change] of batch) if (!channel.pending.has(id)) channel.pending.set(id, change);
      throw error;
    }
  }

  private async publish(channel: Channel, batch: Map<string, { position: bigint; version: number }>): Promise<void> {
    const { source, pending, watchers } = channel;
    const upTo = [...batch.values()].reduce((a, b) => (a > b.position ? a : b.position), 0n);
    for (;;) {
      const { reached, failed } = await this.projections.fence.waitFor(upTo, source.eventTypes, WAIT_SLICE_MS);
      if (this.loop.stopping) return;
      // Another failed projector reading the same events does not hold this model back.
      if (!failed.includes(source.projector)) {
        if (reached) break;
        continue;
      }
      // The rows come from their projector: while it is FAILED, what it applied before failing still goes out,
      // and the rest waits for its retry.
      const applied = this.projections.fence.position(source.projector);
      for (const [id, change] of batch) {
        if (change.position <= applied) continue;
        batch.delete(id);
        if (!pending.has(id)) pending.set(id, change);
      }
      if (batch.size > 0) break;
      await this.loop.delay(WAIT_SLICE_MS, false);
      return;
    }
    await this.inTurn(channel, async () => {
      if (watchers.size === 0) return;
      // The rows the projector in this process has just written, where it has them; the others from the table.
      const rows: LiveRow[] = [];
      const toRead: string[] = [];
      for (const [id, { version }] of batch) {
        const written = this.projections.writtenRow(source.model, id);
        if (written && written.version >= version) rows.push(written);
        else toRead.push(id);
      }
      if (toRead.length > 0) rows.push(...(await source.read(this.prisma, toRead)));
      // In log order of each row's latest change, however the rows were found: a subscriber sees rows change in
      // the order they did (a batch coalesces many commands, since mutations do not wait for the projectors).
      const at = (row: LiveRow) => batch.get(row.id)?.position ?? 0n;
      rows.sort((x, y) => (at(x) < at(y) ? -1 : at(x) > at(y) ? 1 : 0));
      for (const row of rows) {
        if ((channel.lastPushed.get(row.id) ?? 0) >= row.version) continue;
        remember(channel.lastPushed, row);
        for (const { matches, updates } of watchers) if (matches(row)) updates.push(row);
      }
    });
  }
}

/** So a row is pushed once per version, however the changes were coalesced; bounded, oldest forgotten first. */
function remember(lastPushed: Map<string, number>, row: LiveRow): void {
  lastPushed.delete(row.id);
  lastPushed.set(row.id, row.version);
  if (lastPushed.size > REMEMBERED_VERSIONS) lastPushed.delete(lastPushed.keys().next().value!);
}
