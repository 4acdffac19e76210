import { types, type QueryResultRow } from 'pg';
import { Prisma } from '../generated/prisma/client';
import type { Statements } from '../log/commit';

/** One column of a query table: its name in SQL, the row field it maps to (Prisma's name for it), its SQL type. */
export type Column<Row> = readonly [column: string, field: keyof Row & string, type: string];

/**
 * int8 as bigint and numeric as Prisma's Decimal: a query table's rows, read with `pg` by a projector or by the
 * API, come back in the very shape of Prisma's model of the table, so one codec per table serves every reader.
 */
export const ROW_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === types.builtins.INT8) return (value: string) => BigInt(value);
    if (oid === types.builtins.NUMERIC) return (value: string) => new Prisma.Decimal(value);
    return types.getTypeParser(oid, format);
  }) as typeof types.getTypeParser,
};

/** A table's name quoted for SQL (query tables, their shadow copies in a rebuild). */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * A projector's statements on one query table, from its column list alone (so a column is named once, beside the
 * row's field): load rows by key, and write rows back with one set-based upsert; with `forwardOnly`, an upsert
 * never replaces a row with one of a lower or equal `version`. They run on the batch transaction's pipelined connection, inside the
 * transaction that also moves the projector's checkpoint (see db/prisma.ts).
 */
export function tableStatements<Row extends QueryResultRow>(
  columns: readonly Column<Row>[],
  key: keyof Row & string,
  { forwardOnly = false } = {},
) {
  const keyColumn = columns.find(([, field]) => field === key)![0];
  const select = columns.map(([column, field]) => `${column} AS ${ident(field)}`).join(', ');
  const recordset = columns.map(([, field, type]) => `${ident(field)} ${type}`).join(', ');
  const names = columns.map(([column]) => column).join(', ');
  const fields = columns.map(([, field]) => `r.${ident(field)}`).join(', ');
  const updates = columns
    .filter(([column]) => column !== keyColumn)
    .map(([column]) => `${column} = EXCLUDED.${column}`)
    .join(', ');
  return {
    /** The SELECT list that reads a row in its model's shape (`FROM` the table, with `rowTypes`). */
    columns: select,
    async load(client: Statements, table: string, keys: readonly string[]): Promise<Row[]> {
      if (keys.length === 0) return [];
      const { rows } = await client.query<Row>({
        name: `load:${table}`,
        text: `SELECT ${select} FROM ${ident(table)} WHERE ${keyColumn} = ANY($1)`,
        values: [keys],
        types: ROW_TYPES,
      });
      return rows;
    },
    /**
     * Rows matching `condition` (SQL over the table's own columns, its values as $1, $2, ...): for a load that
     * would otherwise wait for another's answer to know its keys. `name` names the prepared statement.
     */
    async loadWhere(
      client: Statements,
      table: string,
      name: string,
      condition: string,
      values: readonly unknown[],
    ): Promise<Row[]> {
      const { rows } = await client.query<Row>({
        name: `${name}:${table}`,
        text: `SELECT ${select} FROM ${ident(table)} WHERE ${condition}`,
        values: [...values],
        types: ROW_TYPES,
      });
      return rows;
    },
    async upsert(client: Statements, table: string, rows: readonly Row[]): Promise<void> {
      if (rows.length === 0) return;
      await client.query({
        name: `upsert:${table}`,
        text: `INSERT INTO ${ident(table)} (${names})
          SELECT ${fields} FROM jsonb_to_recordset($1::jsonb) AS r(${recordset})
          ON CONFLICT (${keyColumn}) DO UPDATE SET ${updates}
          ${forwardOnly ? `WHERE ${ident(table)}.version < EXCLUDED.version` : ''}`,
        // bigints as digits (JSON has none); Decimals and Dates serialise themselves.
        values: [
          JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
        ],
      });
    },
  };
}
