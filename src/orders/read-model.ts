import type { PrismaClient } from '../db/prisma';
import { readKeysetPage, SqlParams, type Ordering, type PageRequest } from '../projections/keyset';
import type { Reads } from '../db/reads';
import { Prisma, type Order } from '../generated/prisma/client';
import { ident, tableStatements, type Column } from '../projections/table-columns';
import { readModel, type ProjectionTx } from '../projections/types';
import type { OrderItem } from './events';
import { atScale } from '../shared/money';
import { customerOf, statusesOf, type OrderListFilter } from './order-filter';
import { itemAtScale, ORDER_STATUSES, type OrderState, type OrderStatus } from './state';

/**
 * The orders query tables, one row per order and a count per status: their columns, the row codec, the projector's
 * loads and writes and the API's reads, in one place. The projector writes on its batch connection and the API
 * reads with `pg` (db/reads.ts says why); both read rows in the shape of Prisma's `Order`, so one codec turns either
 * into an OrderRecord.
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
  ['payment_due_at', 'paymentDueAt', 'timestamptz'],
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
  /** Customers forgotten: their orders' cancellation reasons are erased, after the upsert (same connection). */
  forgotten: readonly string[] = [],
): Promise<void> {
  const counts = tx.table(ORDER_TABLES.statusCounts);
  const table = tx.table(ORDER_TABLES.orders);
  const writes = [orders.upsert(tx.client, table, changed.map(toRow))];
  if (forgotten.length > 0) {
    writes.push(
      tx.client
        .query({
          name: `orders-forget:${table}`,
          text: `UPDATE "${table}" SET cancellation_reason = NULL
            WHERE customer_id = ANY($1::text[]) AND cancellation_reason IS NOT NULL`,
          values: [forgotten],
        })
        .then(() => undefined),
    );
  }
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

export type OrderSortField = 'PLACED_AT' | 'UPDATED_AT' | 'TOTAL';
export type OrderSort = { field: OrderSortField; descending: boolean };

/** The longest id a cursor may carry (ids are UUIDs); anything longer is no cursor this server issued. */
const MAX_CURSOR_ID = 64;
const MILLISECONDS = /^\d{1,15}$/;
const DECIMAL = /^-?\d{1,40}(\.\d{1,20})?$/;
const DIGITS = /^\d{1,19}$/;

const sortedBy = (column: string, field: keyof Order & string) => [
  { column, field },
  { column: 'id', field: 'id' },
];

/**
 * The orderings the API offers, each served by an index on (key, id), (customer_id, key, id) and (status, key,
 * id) (migration 20261207000000_list_orderings). PLACED_AT is the OrderPlaced event's log position, unique on its
 * own, so its cursor is the position (as every cursor issued before orderings existed).
 */
export const ORDER_SORTS: Readonly<Record<OrderSortField, Ordering<Order>>> = {
  PLACED_AT: {
    columns: [{ column: 'placed_position', field: 'placedPosition' }],
    keyOf: (row) => [row.placedPosition.toString()],
    parse: ([position]) => (DIGITS.test(position!) && BigInt(position!) < 2n ** 63n ? [position] : undefined),
  },
  UPDATED_AT: {
    columns: sortedBy('updated_at', 'updatedAt'),
    // The column keeps milliseconds, as a Date does: the key is exact.
    keyOf: (row) => [String(row.updatedAt.getTime()), row.id],
    parse: ([ms, id]) =>
      MILLISECONDS.test(ms!) && id!.length <= MAX_CURSOR_ID ? [new Date(Number(ms)), id] : undefined,
  },
  TOTAL: {
    columns: sortedBy('total_amount', 'totalAmount'),
    // Every digit the column holds, without an exponent: the key is exact.
    keyOf: (row) => [row.totalAmount.toFixed(), row.id],
    parse: ([amount, id]) => (DECIMAL.test(amount!) && id!.length <= MAX_CURSOR_ID ? [amount, id] : undefined),
  },
};

export type OrderPage = {
  orders: OrderRecord[];
  /** Each order's sort key (as ORDER_SORTS reads it), for its cursor. */
  keys: string[][];
  sort: OrderSortField;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Every order the filter matches, when asked for. */
  totalCount?: number;
};

/**
 * A page of orders sorted by `sort`, keyset-paginated on it (projections/keyset.ts: pages never overlap or skip,
 * ties included). One status is an equality the (status, key, id) indexes serve; several are a list the planner
 * reads on the key's index or on the status index and sorts, whichever it finds cheaper.
 *
 * With `withTotal`, the count of every matching order is read in the same statement as the page, so from the same
 * snapshot: a batch the projector commits meanwhile cannot make them disagree. Without a customer or a date, the
 * status counts answer (at most four rows); with a customer, its rows are counted on (customer_id, ...); with a
 * date, the rows in the range are counted on (created_at) or (customer_id, created_at). All are this projector's
 * own tables, which move together in the batch that writes the rows (customers.order_count is the customers
 * projector's, behind its own checkpoint, and may disagree with these rows).
 */
export async function listOrders(
  db: Reads,
  filter: OrderListFilter,
  sort: OrderSort,
  page: PageRequest,
  { withTotal = false } = {},
): Promise<OrderPage> {
  const statuses = statusesOf(filter);
  const customerId = customerOf(filter);
  if (customerId === null || statuses?.length === 0) {
    const none = { orders: [], keys: [], sort: sort.field, hasNextPage: false, hasPreviousPage: false };
    return { ...none, totalCount: withTotal ? 0 : undefined };
  }
  const params = new SqlParams();
  const byCustomer = customerId === undefined ? [] : [`customer_id = ${params.add(customerId)}`];
  const byStatus =
    statuses === undefined
      ? []
      : statuses.length === 1
        ? [`status = ${params.add(statuses[0])}`]
        : [`status = ANY(${params.add(statuses)})`];
  const byDate = [
    ...(filter.placedAfter ? [`created_at >= ${params.add(filter.placedAfter)}`] : []),
    ...(filter.placedBefore ? [`created_at < ${params.add(filter.placedBefore)}`] : []),
  ];
  const where = [...byCustomer, ...byStatus, ...byDate];
  const orderRows = ident(ORDER_TABLES.orders);
  const count =
    customerId === undefined && byDate.length === 0
      ? `SELECT coalesce(sum(count), 0) FROM ${ident(ORDER_TABLES.statusCounts)}
         ${byStatus.length > 0 ? `WHERE ${byStatus.join(' AND ')}` : ''}`
      : `SELECT count(*) FROM ${orderRows} WHERE ${where.join(' AND ')}`;
  const read = await readKeysetPage<Order>(db, {
    from: orderRows,
    select: orders.columns,
    where,
    params,
    ordering: ORDER_SORTS[sort.field],
    descending: sort.descending,
    page,
    count: withTotal ? count : undefined,
  });
  const { rows, ...standing } = read;
  return { ...standing, orders: rows.map(toRecord), keys: rows.map(ORDER_SORTS[sort.field].keyOf), sort: sort.field };
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

/** The ids of a customer's orders in these statuses, as the orders table has them. */
export async function orderIdsOfCustomer(
  db: Reads,
  customerId: string,
  statuses: readonly OrderStatus[],
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>({
    name: 'order-ids-of-customer',
    text: `SELECT id FROM ${ident(ORDER_TABLES.orders)} WHERE customer_id = $1 AND status = ANY($2::text[]) ORDER BY id`,
    values: [customerId, statuses],
  });
  return rows.map((r) => r.id);
}
