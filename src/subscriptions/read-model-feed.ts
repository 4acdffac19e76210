import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma';
import { ConsumerLoop } from '../log/loop';
import { ORDER_EVENT_TYPES, ordersProjector } from '../orders/projector';
import { findOrdersByIds, ORDER_MODEL, type OrderRecord } from '../orders/read-model';
import type { ProjectionRunner } from '../projections/runner';
import { OrderUpdates } from './order-updates';
import type { LogTailer } from '../log/tailer';

/** `none`: the watch matches no order (a customer asking for another customer's orders). */
export type OrderWatch = { orderId?: string; customerId?: string | null; status?: string | null; none?: boolean };

type Watcher = { watch: OrderWatch; updates: OrderUpdates };

const ORDER_TYPES: readonly string[] = ORDER_EVENT_TYPES;
const WAIT_SLICE_MS = 5000;
const REMEMBERED_VERSIONS = 50_000;

/**
 * Read-model changes for subscribers, on every instance, whichever instance runs the projector: the log says
 * which orders changed (this process's tailer sees every instance's appends); once the `orders` projector's
 * checkpoint (announced across instances) has passed those events, the rows are pushed: as the projector in this
 * process has just written them, or else read from the query table. The log and the tables are the truth;
 * notifications only wake things up. Orders changed while the projector is behind are coalesced, so a stalled
 * projector costs one entry per order, not one per event.
 */
export class ReadModelFeed {
  private readonly watchers = new Set<Watcher>();
  /** Orders changed in the log and not yet published: the position and version of their latest event. */
  private readonly pending = new Map<string, { position: bigint; version: number }>();
  private readonly lastPushed = new Map<string, number>();
  private readonly loop: ConsumerLoop;
  private closeTail: (() => void) | undefined;

  constructor(
    private readonly tailer: LogTailer,
    private readonly projections: ProjectionRunner,
    private readonly prisma: PrismaClient,
    logger: Logger,
  ) {
    // No polling: there is work only when the tailer hands over events, and it pokes.
    this.loop = new ConsumerLoop({ name: 'read-model feed', step: () => this.step(), retryMs: 1000, logger });
  }

  start(): void {
    this.closeTail = this.tailer.listen((events) => {
      for (const event of events) {
        if (ORDER_TYPES.includes(event.eventType)) {
          this.pending.set(event.aggregateId, { position: event.position, version: event.version });
        }
      }
      this.loop.poke();
    }).close;
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.closeTail?.();
    await this.loop.stop();
    for (const w of this.watchers) w.updates.end();
  }

  /**
   * Every change of the orders that match, from now on, with at most `limit` orders waiting for the client; with
   * `current`, first the row as it is now. That is read after the watch is registered, so a change between the
   * two is not missed (versions dedupe).
   */
  watch(watch: OrderWatch, limit: number, current?: () => Promise<OrderRecord | null>): OrderUpdates {
    const watcher: Watcher = { watch, updates: new OrderUpdates(limit, () => this.watchers.delete(watcher)) };
    this.watchers.add(watcher);
    if (current) watcher.updates.startWith(current());
    return watcher.updates;
  }

  /** Publishes what changed since the last step; false when nothing did. */
  private async step(): Promise<boolean> {
    if (this.pending.size === 0) return false;
    const batch = new Map(this.pending);
    this.pending.clear();
    try {
      await this.publish(batch);
    } catch (error) {
      // Retried (after the loop's pause) with whatever changed meanwhile.
      for (const [id, change] of batch) if (!this.pending.has(id)) this.pending.set(id, change);
      throw error;
    }
    return true;
  }

  private async publish(batch: Map<string, { position: bigint; version: number }>): Promise<void> {
    const upTo = [...batch.values()].reduce((a, b) => (a > b.position ? a : b.position), 0n);
    for (;;) {
      const { reached, failed } = await this.projections.waitFor(upTo, ORDER_TYPES, WAIT_SLICE_MS);
      if (this.loop.stopping) return;
      // A failed customers projector does not hold orders back.
      if (!failed.includes(ordersProjector.name)) {
        if (reached) break;
        continue;
      }
      // The rows come from the orders projector: while it is FAILED, what it applied before failing still goes
      // out, and the rest waits for its retry.
      const applied = this.projections.checkpointOf(ordersProjector.name);
      for (const [id, change] of batch) {
        if (change.position <= applied) continue;
        batch.delete(id);
        if (!this.pending.has(id)) this.pending.set(id, change);
      }
      if (batch.size > 0) break;
      await this.loop.delay(WAIT_SLICE_MS, false);
      return;
    }
    if (this.watchers.size === 0) return;
    // The rows the projector in this process has just written, where it has them; the others from the table.
    const rows: OrderRecord[] = [];
    const toRead: string[] = [];
    for (const [id, { version }] of batch) {
      const written = this.projections.writtenRow(ORDER_MODEL, id);
      if (written && written.version >= version) rows.push(written);
      else toRead.push(id);
    }
    if (toRead.length > 0) rows.push(...(await findOrdersByIds(this.prisma, toRead)));
    // In log order of each order's latest change, however the rows were found: a subscriber sees orders change in
    // the order they did (a batch coalesces many commands since mutations no longer wait for the projectors).
    const at = (order: OrderRecord) => batch.get(order.id)?.position ?? 0n;
    rows.sort((x, y) => (at(x) < at(y) ? -1 : at(x) > at(y) ? 1 : 0));
    for (const order of rows) {
      if ((this.lastPushed.get(order.id) ?? 0) >= order.version) continue;
      this.remember(order);
      for (const { watch, updates } of this.watchers) {
        if (
          (watch.orderId === undefined || watch.orderId === order.id) &&
          !watch.none &&
          (!watch.customerId || watch.customerId === order.customerId) &&
          (!watch.status || watch.status === order.status)
        ) {
          updates.push(order);
        }
      }
    }
  }

  /** So a row is pushed once per version, however the changes were coalesced; bounded, oldest forgotten first. */
  private remember(order: OrderRecord): void {
    this.lastPushed.delete(order.id);
    this.lastPushed.set(order.id, order.version);
    if (this.lastPushed.size > REMEMBERED_VERSIONS) this.lastPushed.delete(this.lastPushed.keys().next().value!);
  }
}
