import type { Pool } from 'pg';
import type { Config } from './config';
import { customerCommands } from './customers';
import type { EventStore } from './eventstore';
import { orderCommands } from './orders';

/** What resolvers reach through the context: one instance per server process. */
export type Services = {
  config: Config;
  pool: Pool;
  store: EventStore;
  customers: ReturnType<typeof customerCommands>;
  orders: ReturnType<typeof orderCommands>;
};

export function createServices(config: Config, pool: Pool, store: EventStore): Services {
  return {
    config,
    pool,
    store,
    customers: customerCommands(store, config.commandRetries),
    orders: orderCommands(store, config.commandRetries),
  };
}
