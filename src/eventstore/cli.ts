import { loadConfig } from '../config';
import { operatorDatabase } from '../db/embedded';
import { createPool } from '../db/pool';
import { createPrisma } from '../db/prisma';
import { DataKeys } from './data-keys';
import { resolveMasterKeys } from './master-keys';

const USAGE = `usage: npm run keys -- <command>
  rotate   rewrap every customer's data key with DATA_KEY (the keys it replaces listed in DATA_KEY_PREVIOUS)`;

/**
 * Operator commands for the data keys, on the service's database: DATABASE_URL, or the embedded PostgreSQL of a
 * running `npm start` (or, when none runs, one this command starts on the data folder). Rotation runs beside the
 * service: it reads keys wrapped by either master key until every one is rewrapped.
 */
async function main(): Promise<void> {
  const [command] = process.argv.slice(2);
  if (command !== 'rotate') {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  const database = await operatorDatabase(config);
  const pool = createPool(database.url, 2);
  const prisma = createPrisma(pool);
  try {
    const keys = new DataKeys(prisma, await resolveMasterKeys(config.dataKeys, config.dataDir));
    console.log(`rewrapped ${await keys.rotate()} data keys with the current DATA_KEY`);
  } finally {
    await prisma.$disconnect();
    await pool.end();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
