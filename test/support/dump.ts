import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** pg_dump binaries this machine may have: Debian's per-version ones first, then the one on the PATH's usual place. */
function pgDumps(): string[] {
  const root = '/usr/lib/postgresql';
  const versioned = existsSync(root) ? readdirSync(root).map((v) => `${root}/${v}/bin/pg_dump`) : [];
  return [...versioned, '/usr/bin/pg_dump'].filter((file) => existsSync(file));
}

/**
 * Every row of every table of the database as text: `pg_dump --data-only` where a pg_dump as new as the server is
 * installed (pg_dump refuses a newer server), else the same rows read with SQL, each in PostgreSQL's text form
 * (what COPY and so pg_dump write, values of every column included). Says which it was.
 */
export async function dumpData(url: string): Promise<{ text: string; by: 'pg_dump' | 'sql' }> {
  for (const pgDump of pgDumps()) {
    try {
      const { stdout } = await run(pgDump, ['--data-only', url], { maxBuffer: 256 * 2 ** 20 });
      return { text: stdout, by: 'pg_dump' };
    } catch {
      // A pg_dump older than the server: try the next, or read the rows below.
    }
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
       WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${name} AS t`);
      parts.push(`-- ${name}`, ...rows.map((r) => r.row));
    }
    return { text: parts.join('\n'), by: 'sql' };
  } finally {
    await client.end();
  }
}
