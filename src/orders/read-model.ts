import type { PrismaClient } from '../db/prisma';
import type { Reads } from '../db/reads';
import { Prisma, type Order } from '../generated/prisma/client';
import { ident, ROW_TYPES, tableStatements, type Column } from '../projections/table-columns';
import { readModel, type ProjectionTx } from '../projections/types';
import type { OrderItem } from './events';
import { atScale } from '../shared/money';
import { itemAtScale, ORDER_STATUSES, type OrderState, type OrderStatus } from './state';

/**
 * The orders query tables, one row per order (newest first by the OrderPlaced position) and a count per status:
 * their columns, the row codec, the projector's loads and writes and the API's reads, in one place. The projector
 * writes on its batch connection and the API reads with `pg` (db/reads.ts says why); both read rows in the shape
 * of Prisma's `Order`, so one codec turns either into an OrderRecord.
 */
export const ORDER_TABLES = { orders: 'orders', statusCounts: 'order_status_counts' } as const;

export type OrderRecord = OrderState & { placedPosition: bigint };

/** The orders table's rows, as the projector reports them to the read-model feed (ordersChanged, orderChanged). */
export const ORDER_MODEL = readModel<OrderRecord>('Order');

const COLUMNS: readonly Column<Order>[] = [
  ['id', 'id', 'text'],
  ['customer_id', 'customerId', 'text'],
  ['status', 'status', 'text'],
  ['items', 'items', 'jsonb'],
  ['item_count', 'itemCount', 'int'],
  ['total_amount', 'totalAmount', 'numeric'],
  ['currency', 'currency', 'text'],
  ['cancellation_reason', 'cancellationReason', 'text'],
  ['version', 'version', 'int'],
  ['placed_position', 'placedPosition', 'bigint'],
  ['created_at', 'createdAt', 'timestamptz'],
  ['updated_at', 'updatedAt', 'timestamptz'],
  ['paid_at', 'paidAt', 'timestamptz'],
  ['shipped_at', 'shippedAt', 'timestamptz'],
  ['cancelled_at', 'cancelledAt', 'timestamptz'],
];
// An order's row changes only with its own events, so a row of a lower version is a stale write.
const orders = tableStatements<Order>(COLUMNS, 'id', { forwardOnly: true });

function toOrderStatus(status: string): OrderStatus {
  if ((ORDER_STATUSES as readonly string[]).includes(status)) return status as OrderStatus;
  throw new Error(`the orders table holds an unknown status "${status}"`);
}

function toRecord(o: Order): OrderRecord {
  return {
    ...o,
    status: toOrderStatus(o.status),
    // Written only by `writeOrders` below, from OrderItem[]. A row written before amounts followed their currency
    // may hold prices with two decimals: OrderItem's fields serve them with its decimals, and loadOrders gives them
    // those before the projector folds on.
    items: o.items as OrderItem[],
    // With the currency's decimals, as a fold gives them (numeric keeps the scale it was written with).
    totalAmount: atScale(o.totalAmount.toFixed(), o.currency),
  };
}

function toRow(o: OrderRecord): Order {
  return { ...o, totalAmount: new Prisma.Decimal(o.totalAmount) };
}

/** The batch's orders as the table has them now (those it does not know yet are missing). */
export async function loadOrders(tx: ProjectionTx, ids: readonly string[]): Promise<Map<string, OrderRecord>> {
  const rows = await orders.load(tx.client, tx.table(ORDER_TABLES.orders), ids);
  // So that the rows it writes are the fold of the log to the digit, whenever they were first written.
  return new Map(
    rows.map((row) => {
      const record = toRecord(row);
      return [row.id, { ...record, items: record.items.map((item) => itemAtScale(item, record.currency)) }];
    }),
  );
}

/**
 * Writes changed orders and moves the status counts by `moves` (status → how many more or fewer). The statements
 * are issued together and awaited together: one round trip on the batch's pipelined connection.
 */
export async function writeOrders(
  tx: ProjectionTx,
  changed: readonly OrderRecord[],
  moves: ReadonlyMap<OrderStatus, number>,
): Promise<void> {
  const counts = tx.table(ORDER_TABLES.statusCounts);
  const writes = [orders.upsert(tx.client, tx.table(ORDER_TABLES.orders), changed.map(toRow))];
  const deltas = [...moves].filter(([, n]) => n !== 0).map(([status, count]) => ({ status, count }));
  if (deltas.length > 0) {
    writes.push(
      tx.client
        .query({
          name: `orders-counts:${counts}`,
          text: `INSERT INTO "${counts}" SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(status text, count bigint)
             ON CONFLICT (status) DO UPDATE SET count = "${counts}".count + EXCLUDED.count`,
          values: [JSON.stringify(deltas)],
        })
        .then(() => undefined),
    );
    // No row for a status nobody is in: whether a count passed through zero depends on where batches were cut
    // (a live run with small batches sees PAID go up and down, a rebuild may never see it), and the table must
    // not depend on that.
    writes.push(
      tx.client
        .query({ name: `orders-counts-prune:${counts}`, text: `DELETE FROM "${counts}" WHERE count = 0` })
        .then(() => undefined),
    );
  }
  await Promise.all(writes);
}

/** `owner`: only that customer's orders (a customer's reads); others' are not fetched at all. */
export async function findOrdersByIds(db: Reads, ids: readonly string[], owner?: string): Promise<OrderRecord[]> {
  const table = ORDER_TABLES.orders;
  const rows =
    owner === undefined
      ? await orders.loadWhere(db, table, 'read-by-ids', 'id = ANY($1)', [ids])
      : await orders.loadWhere(db, table, 'read-own-by-ids', 'id = ANY($1) AND customer_id = $2', [ids, owner]);
  return rows.map(toRecord);
}

/** The same rows through Prisma, for the read-model feed (subscriptions/read-model-feed.ts reads with Prisma). */
export async function findOrdersThroughPrisma(prisma: PrismaClient, ids: readonly string[]): Promise<OrderRecord[]> {
  const rows = await prisma.order.findMany({ where: { id: { in: [...ids] } } });
  return rows.map(toRecord);
}

/** `owner`: a customer's list, whatever customer the filter names (another's reads as empty). */
export type OrderListFilter = { customerId?: string | null; status?: OrderStatus | null; owner?: string };

export type OrderPage = {
  orders: OrderRecord[];
  hasNextPage: boolean;
  /** The order at `after` matches the filter: it precedes the page. */
  hasPreviousPage: boolean;
  /** Every order the filter matches, when asked for. */
  totalCount?: number;
};

type PageRow = Order & { total?: string };

/**
 * Newest first, keyset-paginated on the OrderPlaced position (unique, so pages never overlap or skip); `after` is
 * the position of the last order of the previous page. The page's read starts at the order at `after` itself: one
 * more row tells whether it still matches (hasPreviousPage), as one more at the end tells whether a page follows.
 *
 * With `withTotal`, the count of every matching order is read in the same statement as the page, so from the same
 * snapshot: a batch the projector commits meanwhile cannot make them disagree. Without a customer, the status
 * counts answer (at most four rows); by customer, the customer's rows are counted on their index. Both are this
 * projector's own tables, which move together in the batch that writes the rows (customers.order_count is the
 * customers projector's, behind its own checkpoint, and may disagree with these rows).
 */
export async function listOrders(
  db: Reads,
  filter: OrderListFilter,
  first: number,
  after?: bigint,
  { withTotal = false } = {},
): Promise<OrderPage> {
  if (filter.owner !== undefined && filter.customerId != null && filter.customerId !== filter.owner) {
    return { orders: [], hasNextPage: false, hasPreviousPage: false, totalCount: withTotal ? 0 : undefined };
  }
  const customerId = filter.owner ?? filter.customerId ?? undefined;
  const status = filter.status ?? undefined;
  const values: unknown[] = [first + (after === undefined ? 1 : 2)];
  const param = (value: unknown) => `$${values.push(value)}`;
  const byCustomer = customerId === undefined ? [] : [`customer_id = ${param(customerId)}`];
  const byStatus = status === undefined ? [] : [`status = ${param(status)}`];
  const fromAfter = after === undefined ? [] : [`placed_position <= ${param(after)}`];
  const where = (conditions: string[]) => (conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '');
  const orderRows = ident(ORDER_TABLES.orders);
  const page = `SELECT ${orders.columns} FROM ${orderRows} ${where([...byCustomer, ...byStatus, ...fromAfter])}
    ORDER BY placed_position DESC LIMIT $1`;
  const count =
    customerId === undefined
      ? `SELECT coalesce(sum(count), 0) FROM ${ident(ORDER_TABLES.statusCounts)} ${where(byStatus)}`
      : `SELECT count(*) FROM ${orderRows} ${where([...byCustomer, ...byStatus])}`;
  // Every row of the page carries the total; an empty page is one row of nulls that carries it alone.
  const text = withTotal
    ? `SELECT p.*, t.total::text AS total FROM (${count}) AS t(total) LEFT JOIN LATERAL (${page}) AS p ON true
       ORDER BY p."placedPosition" DESC`
    : page;
  // One prepared statement per shape of the filter.
  const shape = [byCustomer, byStatus, fromAfter].map((c) => c.length).join('');
  const name = `orders-page:${shape}${withTotal ? '+total' : ''}`;
  const { rows: read } = await db.query<PageRow>({ name, text, values, types: ROW_TYPES });
  const rows = read.filter((row) => row.id !== null);
  const hasPreviousPage = after !== undefined && rows[0]?.placedPosition === after;
  const rest = hasPreviousPage ? rows.slice(1) : rows;
  return {
    orders: rest.slice(0, first).map(({ total: _total, ...row }) => toRecord(row)),
    hasNextPage: rest.length > first,
    hasPreviousPage,
    totalCount: withTotal ? Number(read[0]!.total) : undefined,
  };
}

/** Every status, in lifecycle order, with 0 where no order is in it (the table keeps no rows for zero). */
export async function orderStatusCounts(db: Reads): Promise<{ status: OrderStatus; count: number }[]> {
  const { rows } = await db.query<{ status: string; count: string }>({
    name: 'order-status-counts',
    text: `SELECT status, count FROM ${ident(ORDER_TABLES.statusCounts)}`,
  });
  const counts = new Map(rows.map((r) => [r.status, Number(r.count)]));
  return ORDER_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }));
}
