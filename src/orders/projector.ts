import type { StoredEvent } from '../eventstore/types';
import { readModel, type Projector, type ProjectionTx, type ReadModelChange } from '../projections/types';
import { decodeOrderEvent, type OrderItem } from './events';
import { evolveOrder, type OrderState, type OrderStatus } from './state';

/** The `orders` query table (plus status counts), one row per order, newest first by the OrderPlaced position. */
export const ORDER_EVENT_TYPES = ['OrderPlaced', 'ItemAdded', 'OrderPaid', 'OrderShipped', 'OrderCancelled'] as const;

type Row = {
  id: string;
  customer_id: string;
  status: OrderStatus;
  items: OrderItem[];
  item_count: number;
  total_amount: string;
  currency: string;
  cancellation_reason: string | null;
  version: number;
  placed_position: string;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
  shipped_at: Date | null;
  cancelled_at: Date | null;
};

export type OrderRecord = OrderState & { placedPosition: bigint };

export function toOrderRecord(row: Row): OrderRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    items: row.items,
    itemCount: row.item_count,
    totalAmount: row.total_amount,
    currency: row.currency,
    cancellationReason: row.cancellation_reason,
    version: row.version,
    placedPosition: BigInt(row.placed_position),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    paidAt: row.paid_at,
    shippedAt: row.shipped_at,
    cancelledAt: row.cancelled_at,
  };
}

// In the table's column order (the upsert inserts `SELECT *`): currency was added last, by a later migration.
const COLUMNS = `id text, customer_id text, status text, items jsonb, item_count int, total_amount numeric,
  cancellation_reason text, version int, placed_position bigint, created_at timestamptz, updated_at timestamptz,
  paid_at timestamptz, shipped_at timestamptz, cancelled_at timestamptz, currency text`;

function toJsonRow(o: OrderRecord) {
  return {
    id: o.id,
    customer_id: o.customerId,
    status: o.status,
    items: o.items,
    item_count: o.itemCount,
    total_amount: o.totalAmount,
    currency: o.currency,
    cancellation_reason: o.cancellationReason,
    version: o.version,
    placed_position: o.placedPosition.toString(),
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    paid_at: o.paidAt,
    shipped_at: o.shippedAt,
    cancelled_at: o.cancelledAt,
  };
}

/**
 * Loads the batch's orders once, folds the events in memory, and writes every changed row back with one upsert
 * (batched writes run several times faster than a statement per event). The upsert only moves a row forward in
 * version, and events at or below a row's version are skipped, so re-applying anything changes nothing.
 */
/** The orders query table's rows, as the projector reports them to read-your-writes and subscriptions. */
export const ORDER_MODEL = readModel<OrderRecord>('Order');

async function apply(events: readonly StoredEvent[], tx: ProjectionTx): Promise<ReadModelChange<OrderRecord>[]> {
  const orders = tx.table('orders');
  const counts = tx.table('order_status_counts');
  const ids = [...new Set(events.map((e) => e.aggregateId))];
  if (ids.length === 0) return [];
  const { rows } = await tx.client.query<Row>({
    name: `orders-load:${orders}`,
    text: `SELECT id, customer_id, status, items, item_count, total_amount::text AS total_amount, currency, cancellation_reason,
             version, placed_position, created_at, updated_at, paid_at, shipped_at, cancelled_at
           FROM "${orders}" WHERE id = ANY($1)`,
    values: [ids],
  });
  const before = new Map(rows.map((r) => [r.id, toOrderRecord(r)]));
  const after = new Map(before);
  for (const event of events) {
    const current = after.get(event.aggregateId) ?? null;
    if (current && event.version <= current.version) continue;
    const view = evolveOrder(current, decodeOrderEvent(event));
    if (!view) continue;
    after.set(event.aggregateId, { ...view, placedPosition: current?.placedPosition ?? event.position });
  }
  const changed = [...after.values()].filter((o) => before.get(o.id)?.version !== o.version);
  if (changed.length === 0) return [];

  // The writes are issued together and awaited together: one round trip on the batch's pipelined connection.
  const writes: Promise<unknown>[] = [];
  writes.push(
    tx.client.query({
      name: `orders-upsert:${orders}`,
      text: `INSERT INTO "${orders}" SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${COLUMNS})
           ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
             items = EXCLUDED.items, item_count = EXCLUDED.item_count, total_amount = EXCLUDED.total_amount, currency = EXCLUDED.currency,
             cancellation_reason = EXCLUDED.cancellation_reason, version = EXCLUDED.version,
             updated_at = EXCLUDED.updated_at, paid_at = EXCLUDED.paid_at, shipped_at = EXCLUDED.shipped_at,
             cancelled_at = EXCLUDED.cancelled_at
           WHERE "${orders}".version < EXCLUDED.version`,
      values: [JSON.stringify(changed.map(toJsonRow))],
    }),
  );

  const delta = new Map<string, number>();
  for (const order of changed) {
    const old = before.get(order.id)?.status;
    if (old === order.status) continue;
    if (old) delta.set(old, (delta.get(old) ?? 0) - 1);
    delta.set(order.status, (delta.get(order.status) ?? 0) + 1);
  }
  const moves = [...delta].filter(([, n]) => n !== 0).map(([status, count]) => ({ status, count }));
  if (moves.length > 0) {
    writes.push(
      tx.client.query({
        name: `orders-counts:${counts}`,
        text: `INSERT INTO "${counts}" SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(status text, count bigint)
             ON CONFLICT (status) DO UPDATE SET count = "${counts}".count + EXCLUDED.count`,
        values: [JSON.stringify(moves)],
      }),
    );
    // No row for a status nobody is in: whether a count passed through zero depends on where batches were cut
    // (a live run with small batches sees PAID go up and down, a rebuild may never see it), and the table must
    // not depend on that.
    writes.push(
      tx.client.query({ name: `orders-counts-prune:${counts}`, text: `DELETE FROM "${counts}" WHERE count = 0` }),
    );
  }
  await Promise.all(writes);
  return changed.map((row) => ({ model: ORDER_MODEL, id: row.id, row }));
}

export const ordersProjector: Projector = {
  name: 'orders',
  version: 1,
  eventTypes: ORDER_EVENT_TYPES,
  tables: ['orders', 'order_status_counts'],
  apply,
};
