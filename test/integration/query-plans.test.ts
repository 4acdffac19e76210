import { Pool, type QueryConfig, type QueryResultRow } from 'pg';
import { CUSTOMER_SORTS, listCustomers, type CustomerSortField } from '../../src/customers/read-model';
import type { Ordering } from '../../src/projections/keyset';
import type { Reads } from '../../src/db/reads';
import { ROW_TYPES } from '../../src/projections/table-columns';
import { listOrders, ORDER_SORTS, type OrderSortField } from '../../src/orders/read-model';
import { createTestDatabase, type TestDatabase } from '../support/database';

// Each ordering the API offers reads one index range: the plan of the statement the real read code sends (through
// listOrders / listCustomers, with a Reads that asks PostgreSQL to EXPLAIN each statement before running it) has
// an Index Scan on that ordering's index, and neither a Seq Scan nor a Sort, on the first page, from a cursor
// both ways, and on the last page. The planner keeps its defaults and real statistics (ANALYZE) over enough rows
// to choose as it would in production: 100,000 orders, 1% of them one customer's or in PLACED, and 20,000
// customers, 10% inactive. (With enable_seqscan = off it would show only that an index can be used, not that it
// is chosen; with a few hundred rows it rightly prefers reading the table and sorting it.) A common status or a
// customer with most of the orders may be read on the ordering's own index instead, also without a sort.

type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: PlanNode[] };

let db: TestDatabase;
let pool: Pool;
let plans: PlanNode[] = [];
/** Reads that have PostgreSQL explain each statement (on `on`) and then run it. */
const explainingOn = (on: () => Pool): Reads => ({
  async query<R extends QueryResultRow>(statement: QueryConfig | string, values?: unknown[]) {
    const config = typeof statement === 'string' ? { text: statement, values } : statement;
    const explained = await on().query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>({
      text: `EXPLAIN (FORMAT JSON) ${config.text}`,
      values: config.values,
    });
    plans.push(explained.rows[0]!['QUERY PLAN'][0].Plan);
    return on().query<R>({ ...config, name: undefined });
  },
});
const explaining = explainingOn(() => pool);

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new Pool({ connectionString: db.url, max: 2 });
  // 100 customers' orders (1% each), totals and times spread (and tied) every way; statuses as a shop's are: most
  // orders shipped, a few waiting for payment (PLACED, 1%).
  await pool.query(`
    INSERT INTO orders (id, customer_id, status, items, item_count, total_amount, currency, version, placed_position,
                        created_at, updated_at)
    SELECT gen_random_uuid()::text, 'customer-' || (i % 100),
           CASE WHEN i % 97 = 0 THEN 'PLACED' WHEN i % 10 = 1 THEN 'PAID' WHEN i % 10 = 2 THEN 'CANCELLED' ELSE 'SHIPPED' END,
           '[]', 1, (i % 997) + 0.5, 'EUR', 1, i::bigint * 65536 + 1,
           timestamptz '2026-01-01' + i * interval '1 minute', timestamptz '2026-01-01' + (i * 7919 % 100000) * interval '1 minute'
    FROM generate_series(1, 100000) AS i`);
  await pool.query(`
    INSERT INTO customers (id, name, email, active, version, registered_at, updated_at)
    SELECT gen_random_uuid()::text, 'Name ' || md5(i::text), md5(i::text || 'e') || '@example.com', i % 10 <> 0, 1,
           timestamptz '2026-01-01' + (i / 2) * interval '1 minute', timestamptz '2026-01-01'
    FROM generate_series(1, 20000) AS i`);
  // Statistics from every row rather than a random sample of them (300 × the target), so that the plans do not
  // change from one run to the next.
  const client = await pool.connect();
  try {
    await client.query('SET default_statistics_target = 1000');
    await client.query('ANALYZE orders, customers');
  } finally {
    client.release();
  }
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** The key of the row halfway down `table` in `ordering`: a cursor with pages on both sides of it. */
async function middleOf<Row extends QueryResultRow>(ordering: Ordering<Row>, table: string, descending: boolean) {
  const direction = descending ? 'DESC' : 'ASC';
  const { rows } = await pool.query<Row>({
    text: `SELECT ${ordering.columns.map((c) => `${c.column} AS "${c.field}"`).join(', ')} FROM ${table}
      ORDER BY ${ordering.columns.map((c) => `${c.column} ${direction}`).join(', ')} OFFSET (SELECT count(*) / 2 FROM ${table}) LIMIT 1`,
    types: ROW_TYPES,
  });
  return ordering.keyOf(rows[0]!);
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** The plan of each statement `read` sends: one here. */
async function planOf(read: () => Promise<unknown>): Promise<PlanNode[]> {
  plans = [];
  await read();
  expect(plans).toHaveLength(1);
  return nodes(plans[0]!);
}

function expectIndexRange(plan: PlanNode[], index: string) {
  const types = plan.map((n) => n['Node Type']);
  expect(types).not.toContain('Seq Scan');
  expect(types).not.toContain('Sort');
  expect(types).not.toContain('Incremental Sort');
  expect(plan.filter((n) => n['Node Type'].startsWith('Index')).map((n) => n['Index Name'])).toEqual([index]);
}

const ORDER_INDEXES: Record<OrderSortField, [string, string, string]> = {
  PLACED_AT: [
    'orders_placed_position_key',
    'orders_customer_id_placed_position_idx',
    'orders_status_placed_position_idx',
  ],
  UPDATED_AT: ['orders_updated_at_id_idx', 'orders_customer_id_updated_at_id_idx', 'orders_status_updated_at_id_idx'],
  TOTAL: ['orders_total_amount_id_idx', 'orders_customer_id_total_amount_id_idx', 'orders_status_total_amount_id_idx'],
};

const orderCases = (Object.keys(ORDER_INDEXES) as OrderSortField[]).flatMap((field) =>
  [true, false].flatMap((descending) =>
    (
      [
        ['all', {}, ORDER_INDEXES[field][0]],
        ['one customer', { customerId: 'customer-7' }, ORDER_INDEXES[field][1]],
        ['one status', { status: 'PLACED' }, ORDER_INDEXES[field][2]],
      ] as const
    ).map(([what, filter, index]) => [field, descending ? 'DESC' : 'ASC', what, index, filter] as const),
  ),
);

it.each(orderCases)('orders by %s %s, %s: a range of %s', async (field, direction, _what, index, filter) => {
  const sort = { field, descending: direction === 'DESC' };
  const cursor = await middleOf(ORDER_SORTS[field], 'orders', sort.descending);
  for (const page of [
    { size: 20, backward: false },
    { size: 20, backward: false, cursor },
    { size: 20, backward: true, cursor },
    { size: 20, backward: true },
  ]) {
    expectIndexRange(await planOf(() => listOrders(explaining, filter, sort, page)), index);
  }
});

it('counts the orders of a placed-at range on the created_at indexes, with and without a customer', async () => {
  const range = { placedAfter: new Date('2026-01-03T00:00:00Z'), placedBefore: new Date('2026-01-04T00:00:00Z') };
  const sort = { field: 'TOTAL', descending: true } as const;
  const page = { size: 20, backward: false };
  for (const [filter, index] of [
    [range, 'orders_created_at_idx'],
    [{ ...range, customerId: 'customer-7' }, 'orders_customer_id_created_at_idx'],
  ] as const) {
    const plan = await planOf(() => listOrders(explaining, filter, sort, page, { withTotal: true }));
    expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    expect(plan.map((n) => n['Index Name'])).toContain(index);
  }
});

const CUSTOMER_INDEXES: Record<CustomerSortField, [string, string]> = {
  REGISTERED_AT: ['customers_registered_at_id_idx', 'customers_active_registered_at_id_idx'],
  NAME: ['customers_name_id_idx', 'customers_active_name_id_idx'],
};

const customerCases = (Object.keys(CUSTOMER_INDEXES) as CustomerSortField[]).flatMap((field) =>
  [true, false].flatMap((descending) =>
    (
      [
        ['all', {}, CUSTOMER_INDEXES[field][0]],
        ['inactive', { active: false }, CUSTOMER_INDEXES[field][1]],
      ] as const
    ).map(([what, filter, index]) => [field, descending ? 'DESC' : 'ASC', what, index, filter] as const),
  ),
);

it.each(customerCases)('customers by %s %s, %s: a range of %s', async (field, direction, _what, index, filter) => {
  const sort = { field, descending: direction === 'DESC' };
  const cursor = await middleOf(CUSTOMER_SORTS[field], 'customers', sort.descending);
  for (const page of [
    { size: 20, backward: false },
    { size: 20, backward: false, cursor },
    { size: 20, backward: true, cursor },
  ]) {
    expectIndexRange(await planOf(() => listCustomers(explaining, filter, sort, page)), index);
  }
});

// A substring search reads the trigram indexes when the table is large: at 100,000 customers the planner picks
// them on its own (tried while writing this test); at the 20,000 this file can afford to load (building the GIN
// indexes is the slow part), reading the whole table still looks cheaper to it, so here sequential scans are off:
// the test shows the trigram indexes serve the very statement the search sends, page and count alike.
it('searches customers on the trigram indexes of name and email, and counts them there too', async () => {
  const noSeqScan = new Pool({ connectionString: db.url, max: 1, options: '-c enable_seqscan=off' });
  try {
    const read = () =>
      listCustomers(
        explainingOn(() => noSeqScan),
        { search: 'c4ca4238' },
        { field: 'NAME', descending: false },
        { size: 20, backward: false },
        { withTotal: true },
      );
    const plan = await planOf(read);
    expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    const indexes = plan.map((n) => n['Index Name']);
    expect(indexes).toContain('customers_name_trgm_idx');
    expect(indexes).toContain('customers_email_trgm_idx');
    expect((await read()).customers.map((c) => c.name)).toEqual([`Name c4ca4238a0b923820dcc509a6f75849b`]);
  } finally {
    await noSeqScan.end();
  }
});
