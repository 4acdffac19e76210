import pino from 'pino';
import { ConfigError, loadFulfillmentConfig } from './config';
import { startFulfillment, type Fulfillment } from './service';

/** `npm run fulfillment`: configuration from the environment (see fulfillment/README.md), stop on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadFulfillmentConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'fulfillment' } });
  // Until it is consuming there is nothing in hand to finish: a signal during start-up just exits.
  const running: { service?: Fulfillment } = {};
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await running.service?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  running.service = await startFulfillment(config, { logger });
}

main().catch((error: unknown) => {
  console.error(`fulfillment failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
