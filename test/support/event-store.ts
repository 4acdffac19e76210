import { Pool } from 'pg';
import { connectionConfig } from '../../src/db/pool';
import { createPrisma, type PrismaClient } from '../../src/db/prisma';
import {
  createEventStore,
  DataKeys,
  EVENTS_CHANNEL,
  Notifier,
  PersonalData,
  type EventStore,
  type MasterKeys,
  type StoredEvent,
} from '../../src/eventstore';
import { EVENT_SCHEMAS, PERSONAL_FIELDS } from '../../src/slices';
import { createTestDatabase, type TestDatabase } from './database';

export type StoreFixture = {
  db: TestDatabase;
  pool: Pool;
  prisma: PrismaClient;
  notifier: Notifier;
  store: EventStore;
  /** With `masterKeys`: the data keys the store seals personal fields with. */
  dataKeys?: DataKeys;
  close(): Promise<void>;
};

const quiet = { warn: () => undefined };

/**
 * A real event store on a database of the test file's own, reading and writing events as the app does; with
 * `masterKeys`, sealing personal fields as the app does too.
 */
export async function openStore(options: { masterKeys?: MasterKeys } = {}): Promise<StoreFixture> {
  const db = await createTestDatabase();
  const pool = new Pool({ ...connectionConfig(db.url), max: 40 });
  // pool.end() resolves before its clients' connections have closed, so dropping the database (WITH FORCE) right
  // after can still reach one: the server's "terminating connection" then arrives as an idle-client error, which
  // an EventEmitter without a listener throws into whichever test runs at that moment.
  pool.on('error', () => undefined);
  const notifier = new Notifier(pool, connectionConfig(db.url), quiet);
  const prisma = createPrisma(pool);
  const dataKeys = options.masterKeys && new DataKeys(prisma, options.masterKeys);
  const store = createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS, {
    personalData: dataKeys && new PersonalData(dataKeys, PERSONAL_FIELDS),
  });
  return {
    db,
    pool,
    prisma,
    notifier,
    store,
    dataKeys,
    async close() {
      await notifier.close();
      await prisma.$disconnect();
      await pool.end();
      await db.drop();
    },
  };
}

/** The whole log after `after`, read page by page as a reader would. */
export async function readEverything(store: EventStore, after = 0n): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (let from = after; ;) {
    const page = await store.readLog(from, 500);
    all.push(...page.events);
    if (page.events.length < 500) return all;
    from = page.events.at(-1)!.position;
  }
}
