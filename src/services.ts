import type { Pool } from 'pg';
import type { CommandOptions } from './commands/handle-command';
import type { Config } from './config';
import { customerCommands } from './customers';
import type { PrismaClient } from './db/prisma';
import type { EventStore } from './eventstore';
import { orderCommands } from './orders';
import type { ProjectionRunner } from './projections/runner';

/** What resolvers reach through the context: one instance per server process. */
export type Services = {
  config: Config;
  pool: Pool;
  prisma: PrismaClient;
  store: EventStore;
  projections: ProjectionRunner;
  customers: ReturnType<typeof customerCommands>;
  orders: ReturnType<typeof orderCommands>;
};

export function createServices({
  logger,
  ...parts
}: Pick<Services, 'config' | 'pool' | 'prisma' | 'store' | 'projections'> & {
  /** Where the command side reports what it shrugs off (a snapshot it could not save). */
  logger: CommandOptions['logger'];
}): Services {
  const { commandRetries: retries, snapshotEvery } = parts.config;
  const commands: CommandOptions = { retries, snapshotEvery, logger };
  return {
    ...parts,
    customers: customerCommands(parts.store, commands),
    orders: orderCommands(parts.store, commands),
  };
}
