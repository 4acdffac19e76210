import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
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
