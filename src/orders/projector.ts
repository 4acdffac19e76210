import type { StoredEvent } from '../eventstore/types';
import { NO_CHANGES, type ProjectedBatch, type Projector, type ProjectionTx } from '../projections/types';
import { decodeOrderEvent, ORDER_EVENT_TYPES } from './events';
import { loadOrders, ORDER_MODEL, ORDER_TABLES, writeOrders, type OrderRecord } from './read-model';
import { evolveOrder, type OrderStatus } from './state';

/**
 * Loads the batch's orders once, folds the events in memory, and writes every changed row back with one upsert
 * (one statement for the batch rather than one per event). The upsert only moves a row forward in
 * version, and events at or below a row's version are skipped, so re-applying anything changes nothing.
 */
async function apply(batch: readonly StoredEvent[], tx: ProjectionTx): Promise<ProjectedBatch<OrderRecord>> {
  const forgotten = batch.filter((e) => e.eventType === 'CustomerForgotten').map((e) => e.aggregateId);
  const events = batch.filter((e) => e.aggregateType !== 'Customer');
  const before = await loadOrders(tx, [...new Set(events.map((e) => e.aggregateId))]);
  const after = new Map(before);
  for (const event of events) {
    const current = after.get(event.aggregateId) ?? null;
    if (current && event.version <= current.version) continue;
    const view = evolveOrder(current, decodeOrderEvent(event));
    if (!view) continue;
    after.set(event.aggregateId, { ...view, placedPosition: current?.placedPosition ?? event.position });
  }
  const changed = [...after.values()].filter((o) => before.get(o.id)?.version !== o.version);
  // A forgotten customer's cancellation reasons, read in the clear before, go; the rows stay at their versions.
  if (forgotten.length > 0) {
    return { changes: [], write: (tx) => writeOrders(tx, changed, statusMoves(before, changed), forgotten) };
  }
  if (changed.length === 0) return NO_CHANGES;
  return {
    changes: changed.map((row) => ({ model: ORDER_MODEL, id: row.id, row })),
    write: (tx) => writeOrders(tx, changed, statusMoves(before, changed)),
  };
}

/** How many orders each status gains (or loses) with the changed rows. */
function statusMoves(before: ReadonlyMap<string, OrderRecord>, changed: readonly OrderRecord[]) {
  const moves = new Map<OrderStatus, number>();
  for (const order of changed) {
    const old = before.get(order.id)?.status;
    if (old === order.status) continue;
    if (old) moves.set(old, (moves.get(old) ?? 0) - 1);
    moves.set(order.status, (moves.get(order.status) ?? 0) + 1);
  }
  return moves;
}

export const ordersProjector: Projector = {
  name: 'orders',
  version: 1,
  // CustomerForgotten: a forgotten customer's orders keep no cancellation reason.
  eventTypes: [...ORDER_EVENT_TYPES, 'CustomerForgotten'],
  tables: Object.values(ORDER_TABLES),
  apply,
};
