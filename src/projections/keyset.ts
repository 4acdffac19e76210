import { createHash } from 'node:crypto';
import type { QueryResultRow } from 'pg';
import { ROW_TYPES } from './table-columns';
import type { Reads } from '../db/reads';

/** A column of an ordering: its SQL name and the row field the page's SELECT reads it into. */
export type KeyColumn = { column: string; field: string };

/**
 * One way to sort a query table for keyset pagination: the sort key, then columns that make it unique (the id),
 * all in one direction, so that the row comparison `(key, id) < ($1, $2)` is a range of one index on those
 * columns (read forwards or backwards). A cursor is the key's values as text; `keyOf` reads them from a row and
 * `parse` turns a cursor's back into query values (undefined for text that cannot be one).
 */
export type Ordering<Row> = {
  columns: readonly KeyColumn[];
  keyOf(row: Row): string[];
  parse(key: readonly string[]): unknown[] | undefined;
};

/** Forward: the `size` items after `cursor`; backward: the `size` items before it. Without one, from the end. */
export type PageRequest = { size: number; backward: boolean; cursor?: readonly string[] };

/** The values of a statement, each added where the SQL text needs it. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    return `$${this.values.push(value)}`;
  }
}

export type KeysetQuery<Row> = {
  /** The table, quoted. */
  from: string;
  /** The SELECT list, reading each column into its row field. */
  select: string;
  /** Conditions over the table's columns, their values in `params`. */
  where: readonly string[];
  params: SqlParams;
  ordering: Ordering<Row>;
  descending: boolean;
  page: PageRequest;
  /** A SELECT of one value, how many rows match: read in the same statement, so from the same snapshot. */
  count?: string;
};

export type KeysetPage<Row> = {
  rows: Row[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount?: number;
};

/** Whether cursor text parses for this ordering (what `readKeysetPage` refuses otherwise). */
export function parsesAs<Row>(ordering: Ordering<Row>, key: readonly string[]): boolean {
  return key.length === ordering.columns.length && ordering.parse(key) !== undefined;
}

/**
 * A page of rows in `descending` (or ascending) key order. The read scans the ordering's index from the cursor in
 * the direction of travel (backward pages scan the other way and are turned around), and starts at the cursor's
 * row itself: one more row tells whether it still matches (hasPreviousPage forward, hasNextPage backward), as
 * one more at the end tells whether the page has more beyond it. With `count`, every row of the page carries the
 * total; an empty page is one row of nulls that carries it alone.
 */
export async function readKeysetPage<Row extends QueryResultRow>(
  db: Reads,
  query: KeysetQuery<Row>,
): Promise<KeysetPage<Row>> {
  const { ordering, page, params } = query;
  const scanDescending = query.descending !== page.backward;
  const conditions = [...query.where];
  if (page.cursor !== undefined) {
    const values = ordering.parse(page.cursor);
    if (values === undefined || values.length !== ordering.columns.length) {
      throw new Error('a cursor reached the read without being checked');
    }
    const columns = ordering.columns.map((c) => c.column).join(', ');
    const bounds = values.map((v) => params.add(v)).join(', ');
    conditions.push(`(${columns}) ${scanDescending ? '<=' : '>='} (${bounds})`);
  }
  const limit = params.add(page.size + 1 + (page.cursor === undefined ? 0 : 1));
  const direction = scanDescending ? 'DESC' : 'ASC';
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const rowsSql = `SELECT ${query.select} FROM ${query.from} ${where}
    ORDER BY ${ordering.columns.map((c) => `${c.column} ${direction}`).join(', ')} LIMIT ${limit}`;
  const text =
    query.count === undefined
      ? rowsSql
      : `SELECT p.*, t.total::text AS "__total" FROM (${query.count}) AS t(total) LEFT JOIN LATERAL (${rowsSql}) AS p
         ON true ORDER BY ${ordering.columns.map((c) => `p."${c.field}" ${direction}`).join(', ')}`;
  // One prepared statement per distinct text: the shapes are few (filters given × ordering × direction).
  const name = `page:${createHash('sha1').update(text).digest('base64url')}`;
  const { rows: read } = await db.query<Row & { __total?: string }>({
    name,
    text,
    values: params.values,
    types: ROW_TYPES,
  });
  const found = read.filter((row) => row[ordering.columns[0]!.field] !== null);
  const cursor = page.cursor;
  const atCursor =
    cursor !== undefined && found[0] !== undefined && ordering.keyOf(found[0]).every((v, i) => v === cursor[i]);
  const rest = atCursor ? found.slice(1) : found;
  const beyond = rest.length > page.size;
  const rows = rest.slice(0, page.size).map(({ __total: _total, ...row }) => row as unknown as Row);
  if (page.backward) rows.reverse();
  return {
    rows,
    hasNextPage: page.backward ? atCursor : beyond,
    hasPreviousPage: page.backward ? beyond : atCursor,
    totalCount: query.count === undefined ? undefined : Number(read[0]!.__total),
  };
}
