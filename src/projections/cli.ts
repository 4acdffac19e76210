import { EVENT_SCHEMAS, PERSONAL_FIELDS, PROJECTORS } from '../slices';
import { loadConfig } from '../config';
import { operatorDatabase } from '../db/embedded';
import { connectionConfig, createPool } from '../db/pool';
import { createPrisma } from '../db/prisma';
import { createEventStore, DataKeys, EVENTS_CHANNEL, Notifier, PersonalData, resolveMasterKeys } from '../eventstore';
import { createLogger } from '../logger';
import { readCheckpoint, requestRebuild, clearFailure, readCheckpoints } from '../log/checkpoints';
import { Leadership } from '../log/leadership';
import { readParked } from '../log/parked';
import type { Processor } from '../log/processor';
import { projectorProcessor } from './projector-processor';

const USAGE = `usage: npm run projections -- <command>
  status            every projector's checkpoint, state and lag
  rebuild <name>    rebuild a projector's tables from the start of the log (the service keeps serving)
  retry <name>      resume a FAILED projector`;

/**
 * Operator commands for the projectors. They work on the same database as the service: DATABASE_URL, or the
 * embedded PostgreSQL of a running `npm start` (or, when none runs, one this command starts on the data folder).
 */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (!command || (command !== 'status' && !name)) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const database = await operatorDatabase(config);
  const databaseUrl = database.url;
  const pool = createPool(databaseUrl, 4);
  const prisma = createPrisma(pool);
  const batchPool = createPool(databaseUrl, 2, { pipeline: true });
  try {
    if (command === 'status') {
      for (const row of await readCheckpoints(prisma)) {
        const parked = (await readParked(prisma, row.name)).filter((p) => p.heldBehind === null).length;
        console.log(
          `${row.name.padEnd(12)} v${row.version} ${row.status.padEnd(10)} checkpoint ${row.position}` +
            (row.lastError ? `  error: ${row.lastError} (event ${row.failedEventId})` : '') +
            (parked > 0 ? `  parked: ${parked} (see projections { parked })` : ''),
        );
      }
      return;
    }
    const projector = PROJECTORS.find((p) => p.name === name);
    if (!projector)
      throw new Error(`no projector named "${name}" (known: ${PROJECTORS.map((p) => p.name).join(', ')})`);
    if (command === 'retry') {
      console.log((await clearFailure(prisma, projector.name)) ? `${name}: resumed` : `${name}: was not FAILED`);
      return;
    }
    if (command !== 'rebuild') throw new Error(USAGE);

    const notifier = new Notifier(pool, connectionConfig(databaseUrl), logger);
    // A rebuild reads personal fields as the service does: in the clear, or null where a customer was forgotten.
    const dataKeys = new DataKeys(prisma, await resolveMasterKeys(config.dataKeys, config.dataDir));
    const store = createEventStore(prisma, pool, notifier.channel(EVENTS_CHANNEL), EVENT_SCHEMAS, {
      personalData: new PersonalData(dataKeys, PERSONAL_FIELDS),
    });
    const total = await store.countEvents(-1n, await store.logHead(), projector.eventTypes);
    if (!(await readCheckpoint(prisma, projector.name)) || !(await requestRebuild(prisma, projector.name))) {
      throw new Error(`${name} has never run here; start the service once first`);
    }
    // If no running service leads this projector, this process does the rebuild itself.
    const leadership = new Leadership(connectionConfig(databaseUrl), logger);
    let processor: Processor | undefined;
    if (await leadership.tryAcquire(projector.name)) {
      processor = projectorProcessor(
        projector,
        {
          prisma,
          batchPool,
          store,
          leadership,
          logger,
          options: {
            batchSize: config.projectionBatchSize,
            rebuildBatchSize: config.rebuildBatchSize,
            batchBytes: config.projectionBatchBytes,
            pollMs: 200,
            onError: config.projectionOnError,
          },
        },
        { committed: () => undefined },
      );
      processor.start();
    } else {
      console.error(`${name} is led by a running service; following its rebuild`);
    }
    const started = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const row = (await readCheckpoint(prisma, projector.name))!;
      const done = Number(row.rebuildEvents ?? 0n);
      const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
      if (row.status === 'FAILED') throw new Error(`${name} failed while rebuilding: ${row.lastError}`);
      const finished = row.rebuildRequestedAt === null && row.status === 'RUNNING';
      const shown = finished ? total : Math.min(done, total);
      const share = total === 0 ? 1 : shown / total;
      const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, '.');
      process.stderr.write(
        `\r[${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${shown.toLocaleString()} / ${total.toLocaleString()} events  ${rate.toLocaleString()} events/s   `,
      );
      if (finished) break;
    }
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write('\n');
    console.log(
      `${name} rebuilt: ${total.toLocaleString()} events in ${seconds.toFixed(1)} s (${Math.round(total / Math.max(seconds, 0.001)).toLocaleString()} events/s)`,
    );
    await processor?.stop();
    await leadership.close();
    await notifier.close();
  } finally {
    await batchPool.end();
    await prisma.$disconnect();
    await pool.end();
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
