import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { listMigrations, migrate, MIGRATIONS_DIR } from '../../src/db/migrate';
import { withDatabase } from './global-setup';

export type TestDatabase = { url: string; drop(): Promise<void> };

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.ORDERSTREAM_TEST_SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of this test file's own, cloned from the template global setup migrated. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `orderstream_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.ORDERSTREAM_TEST_TEMPLATE}`));
  return {
    url: withDatabase(process.env.ORDERSTREAM_TEST_SERVER_URL!, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A fresh database of this test file's own that has had only the migrations before `migration`: one written by the
 * release before it, for testing what the migration (or the release's start, which applies it) does to it.
 */
export async function createDatabaseBefore(migration: string): Promise<TestDatabase> {
  const name = `orderstream_before_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const db: TestDatabase = {
    url: withDatabase(process.env.ORDERSTREAM_TEST_SERVER_URL!, name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
  const earlier = await fs.mkdtemp(path.join(os.tmpdir(), 'orderstream-migrations-'));
  try {
    for (const { name: applied } of await listMigrations()) {
      if (applied >= migration) continue;
      await fs.cp(path.join(MIGRATIONS_DIR, applied), path.join(earlier, applied), { recursive: true });
    }
    await migrate(db.url, earlier);
  } finally {
    await fs.rm(earlier, { recursive: true, force: true });
  }
  return db;
}
