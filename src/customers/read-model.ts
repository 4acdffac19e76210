import { readKeysetPage, SqlParams, type Ordering, type PageRequest } from '../projections/keyset';
import type { Reads } from '../db/reads';
import { Prisma, type Customer, type CustomerOrder } from '../generated/prisma/client';
import { ident, tableStatements, type Column } from '../projections/table-columns';
import type { ProjectionTx } from '../projections/types';
import { atScale, type Amount } from '../shared/money';
import type { CustomerState } from './state';

/**
 * The customers query table and the customers projector's memo of each order: their columns, the row codec, the
 * projector's loads and writes and the API's reads, in one place. The projector writes on its batch connection and
 * the API reads with `pg` (db/reads.ts says why); both read rows in the shape of Prisma's `Customer`, so one codec
 * turns either into a CustomerRecord.
 */
export const CUSTOMER_TABLES = { customers: 'customers', orders: 'customer_orders' } as const;

/** Amounts by currency (ISO 4217 code → amount): amounts in different currencies are never added together. */
export type Totals = Readonly<Record<string, Amount>>;

/** A customer as the query table holds it: the customer's state plus what its orders add. */
export type CustomerRecord = CustomerState & { orderCount: number; lifetimeTotals: Totals };

/** What the projector remembers of an order: whose it is, its currency, and what of it is paid. */
export type OrderMemo = {
  orderId: string;
  customerId: string;
  orderVersion: number;
  currency: string;
  paidAmount: Amount;
};

const CUSTOMER_COLUMNS: readonly Column<Customer>[] = [
  ['id', 'id', 'text'],
  ['name', 'name', 'text'],
  ['email', 'email', 'text'],
  ['active', 'active', 'boolean'],
  ['deactivation_reason', 'deactivationReason', 'text'],
  ['order_count', 'orderCount', 'int'],
  ['lifetime_totals', 'lifetimeTotals', 'jsonb'],
  ['version', 'version', 'int'],
  ['registered_at', 'registeredAt', 'timestamptz'],
  ['updated_at', 'updatedAt', 'timestamptz'],
  ['deactivated_at', 'deactivatedAt', 'timestamptz'],
  ['forgotten_at', 'forgottenAt', 'timestamptz'],
];
const MEMO_COLUMNS: readonly Column<CustomerOrder>[] = [
  ['order_id', 'orderId', 'text'],
  ['customer_id', 'customerId', 'text'],
  ['order_version', 'orderVersion', 'int'],
  ['currency', 'currency', 'text'],
  ['paid_amount', 'paidAmount', 'numeric'],
];
// Not forward-only: a customer's order figures change with order events, at the same customer version.
const customers = tableStatements<Customer>(CUSTOMER_COLUMNS, 'id');
const memos = tableStatements<CustomerOrder>(MEMO_COLUMNS, 'orderId');

/** The totals column, written only by `writeCustomers` below: currency codes to amounts as strings. */
function toTotals(json: unknown): Totals {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('customers.lifetime_totals is not an object of amounts');
  }
  const totals: Record<string, Amount> = {};
  for (const [currency, amount] of Object.entries(json)) {
    if (typeof amount !== 'string') throw new Error(`customers.lifetime_totals.${currency} is not an amount`);
    // With the currency's decimals, as the projector now writes them (totals written before have two).
    totals[currency] = atScale(amount, currency);
  }
  return totals;
}

/** A forgotten customer's name and email are stored as '' (see the data_keys migration) and read as null. */
function toRecord(c: Customer): CustomerRecord {
  const erased = c.forgottenAt !== null;
  return {
    ...c,
    name: erased ? null : c.name,
    email: erased ? null : c.email,
    lifetimeTotals: toTotals(c.lifetimeTotals),
  };
}

const toRow = (c: CustomerRecord) => ({ ...c, name: c.name ?? '', email: c.email ?? '' });

/** The batch's customers as the table has them now (those it does not know yet are missing). */
/**
 * The customers a batch touches: those named by its events, and those of its orders' memos (an order event
 * carries no customer). One statement, sent with the memos' load, rather than a second round trip after it.
 */
export async function loadCustomersOf(
  tx: ProjectionTx,
  customerIds: readonly string[],
  orderIds: readonly string[],
): Promise<Map<string, CustomerRecord>> {
  if (customerIds.length === 0 && orderIds.length === 0) return new Map();
  const orders = tx.table(CUSTOMER_TABLES.orders);
  const rows = await customers.loadWhere(
    tx.client,
    tx.table(CUSTOMER_TABLES.customers),
    `load-of-orders:${orders}`,
    `id = ANY($1) OR id IN (SELECT customer_id FROM ${ident(orders)} WHERE order_id = ANY($2))`,
    [customerIds, orderIds],
  );
  return new Map(rows.map((row) => [row.id, toRecord(row)]));
}

export async function loadOrderMemos(tx: ProjectionTx, orderIds: readonly string[]): Promise<Map<string, OrderMemo>> {
  const rows = await memos.load(tx.client, tx.table(CUSTOMER_TABLES.orders), orderIds);
  return new Map(rows.map((m) => [m.orderId, { ...m, paidAmount: atScale(m.paidAmount.toFixed(), m.currency) }]));
}

/** Issued together and awaited together: one round trip on the batch's pipelined connection. */
export async function writeCustomers(
  tx: ProjectionTx,
  changed: readonly CustomerRecord[],
  changedMemos: readonly OrderMemo[],
): Promise<void> {
  await Promise.all([
    memos.upsert(
      tx.client,
      tx.table(CUSTOMER_TABLES.orders),
      changedMemos.map((m) => ({ ...m, paidAmount: new Prisma.Decimal(m.paidAmount) })),
    ),
    customers.upsert(tx.client, tx.table(CUSTOMER_TABLES.customers), changed.map(toRow)),
  ]);
}

/** `owner`: only that customer (a customer reads themselves only); others are not fetched at all. */
export async function findCustomersByIds(db: Reads, ids: readonly string[], owner?: string): Promise<CustomerRecord[]> {
  const table = CUSTOMER_TABLES.customers;
  const rows =
    owner === undefined
      ? await customers.loadWhere(db, table, 'read-by-ids', 'id = ANY($1)', [ids])
      : await customers.loadWhere(db, table, 'read-own-by-ids', 'id = ANY($1) AND id = $2', [ids, owner]);
  return rows.map(toRecord);
}

export type CustomerListFilter = { active?: boolean | null; search?: string | null };
export type CustomerSortField = 'REGISTERED_AT' | 'NAME';
export type CustomerSort = { field: CustomerSortField; descending: boolean };

/** The longest search text (a longer one is refused before anything is read). */
export const MAX_SEARCH_LENGTH = 100;
/** The longest id and name a cursor may carry: anything longer is no cursor this server issued. */
const MAX_CURSOR_ID = 64;
const MAX_CURSOR_NAME = 1000;
const MILLISECONDS = /^\d{1,15}$/;

/**
 * The orderings the API offers, each on (key, id) so that ties page exactly, served by an index on (key, id) and
 * (active, key, id) (migration 20261207000000_list_orderings).
 */
export const CUSTOMER_SORTS: Readonly<Record<CustomerSortField, Ordering<Customer>>> = {
  REGISTERED_AT: {
    columns: [
      { column: 'registered_at', field: 'registeredAt' },
      { column: 'id', field: 'id' },
    ],
    // The column keeps milliseconds, as a Date does: the key is exact.
    keyOf: (row) => [String(row.registeredAt.getTime()), row.id],
    parse: ([ms, id]) =>
      MILLISECONDS.test(ms!) && id!.length <= MAX_CURSOR_ID ? [new Date(Number(ms)), id] : undefined,
  },
  NAME: {
    columns: [
      { column: 'name', field: 'name' },
      { column: 'id', field: 'id' },
    ],
    keyOf: (row) => [row.name ?? '', row.id],
    parse: ([name, id]) => (name!.length <= MAX_CURSOR_NAME && id!.length <= MAX_CURSOR_ID ? [name, id] : undefined),
  },
};

export type CustomerPage = {
  customers: CustomerRecord[];
  /** Each customer's sort key (as CUSTOMER_SORTS reads it), for its cursor. */
  keys: string[][];
  sort: CustomerSortField;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** Every customer the filter matches, when asked for. */
  totalCount?: number;
};

/** `text` as a LIKE pattern matching it anywhere: its own wildcards and escapes taken literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * A page of customers sorted by `sort`, keyset-paginated on it (projections/keyset.ts). `search` matches part of
 * the name or the email, case-insensitively: ILIKE on both, which the trigram indexes on each serve (pg_trgm) when
 * the text has 3 characters or more. With `withTotal`, the matching customers are counted in the same statement: row by
 * row, on the indexes the filter allows (customers have no counts table).
 */
export async function listCustomers(
  db: Reads,
  filter: CustomerListFilter,
  sort: CustomerSort,
  page: PageRequest,
  { withTotal = false } = {},
): Promise<CustomerPage> {
  const params = new SqlParams();
  const where: string[] = [];
  if (filter.active != null) where.push(`active = ${params.add(filter.active)}`);
  if (filter.search != null) {
    const pattern = params.add(containing(filter.search));
    where.push(`(name ILIKE ${pattern} OR email ILIKE ${pattern})`);
  }
  const table = ident(CUSTOMER_TABLES.customers);
  const { rows, ...standing } = await readKeysetPage<Customer>(db, {
    from: table,
    select: customers.columns,
    where,
    params,
    ordering: CUSTOMER_SORTS[sort.field],
    descending: sort.descending,
    page,
    count: withTotal
      ? `SELECT count(*) FROM ${table} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`
      : undefined,
  });
  return {
    ...standing,
    customers: rows.map(toRecord),
    keys: rows.map(CUSTOMER_SORTS[sort.field].keyOf),
    sort: sort.field,
  };
}
