import fs from 'node:fs/promises';
import { Client } from 'pg';
import type { EmbeddedDatabase } from '../../src/db/embedded';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __orderstreamTestDb?: { embedded: EmbeddedDatabase; dataDir: string } })
    .__orderstreamTestDb;
  if (state) {
    await state.embedded.stop();
    await fs.rm(state.dataDir, { recursive: true, force: true });
    return;
  }
  // On a real server, leave it as we found it.
  const admin = new Client({ connectionString: process.env.ORDERSTREAM_TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${process.env.ORDERSTREAM_TEST_TEMPLATE} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
