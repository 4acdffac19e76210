import { Pool } from 'pg';
import { connectionConfig } from '../../src/db/pool';
import { createEventStore, WakeUps, type EventStore } from '../../src/eventstore';
import { createTestDatabase, type TestDatabase } from './database';

export type StoreFixture = { db: TestDatabase; pool: Pool; wakeUps: WakeUps; store: EventStore; close(): Promise<void> };

const quiet = { warn: () => undefined };

/** A real event store on a database of the test file's own. */
export async function openStore(): Promise<StoreFixture> {
  const db = await createTestDatabase();
  const pool = new Pool({ ...connectionConfig(db.url), max: 40 });
  const wakeUps = new WakeUps(pool, connectionConfig(db.url), quiet);
  const store = createEventStore(pool, wakeUps);
  return {
    db,
    pool,
    wakeUps,
    store,
    async close() {
      await wakeUps.close();
      await pool.end();
      await db.drop();
    },
  };
}
