import type { Pool } from 'pg';
import type { CommandOptions } from './commands/handle-command';
import type { Config } from './config';
import { customerCommands } from './customers';
import type { PrismaClient } from './db/prisma';
import type { EventStore } from './eventstore';
import { orderCommands } from './orders';
import type { ProjectionRunner } from './projections/runner';
import type { ReadModelFeed } from './subscriptions/read-model-feed';
import type { LogTailer } from './subscriptions/tailer';

/** What resolvers reach through the context: one instance per server process. */
export type Services = {
  config: Config;
  pool: Pool;
  prisma: PrismaClient;
  store: EventStore;
  projections: ProjectionRunner;
  /** This process's one reader of the live log, feeding every `events` subscription. */
  tailer: LogTailer;
  readModelFeed: ReadModelFeed;
  customers: ReturnType<typeof customerCommands>;
  orders: ReturnType<typeof orderCommands>;
};

export function createServices({
  logger,
  ...parts
}: Pick<Services, 'config' | 'pool' | 'prisma' | 'store' | 'projections' | 'tailer' | 'readModelFeed'> & {
  /** Where the command side reports what it shrugs off (a snapshot it could not save). */
  logger: CommandOptions['logger'];
}): Services {
  const { commandRetries: retries, snapshotEvery } = parts.config;
  const commands: CommandOptions = { retries, snapshotEvery, limits: parts.config.inputLimits, logger };
  return {
    ...parts,
    customers: customerCommands(parts.store, commands),
    orders: orderCommands(parts.store, commands),
  };
}
