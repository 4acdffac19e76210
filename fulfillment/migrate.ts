import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';

/**
 * The service's own schema, applied at start by this small runner rather than orderstream's (src/db/migrate.ts):
 * that one keeps Prisma's bookkeeping table, and with the inbox on the same database as orderstream (the default
 * with `npm start`), foreign rows there would make `prisma migrate status` report migrations it does not have. A
 * separately deployed service owns its schema anyway; its bookkeeping table here is `fulfillment_migrations`.
 */

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

// Any constant distinct from Prisma's (72707369): two instances starting together apply each file once.
const LOCK = 0x66756c66; // 'fulf'

const BOOKKEEPING = `
CREATE TABLE IF NOT EXISTS fulfillment_migrations (
    name       text        PRIMARY KEY,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Applies the pending `migrations/*.sql` in name order, each in one transaction with its bookkeeping row. */
export async function migrateInbox(pool: Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK]);
    await client.query(BOOKKEEPING);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM fulfillment_migrations',
    );
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const applied: string[] = [];
    for (const name of names) {
      const sql = await fs.readFile(path.join(dir, name), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const earlier = done.get(name);
      if (earlier !== undefined) {
        if (earlier !== checksum) throw new Error(`Fulfillment migration ${name} was edited after it was applied`);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO fulfillment_migrations (name, checksum) VALUES ($1, $2)', [name, checksum]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`Fulfillment migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK]).catch(() => undefined);
    client.release();
  }
}
