import { startOrderstream } from './app';
import { ConfigError, loadConfig } from './config';
import { formatDevelopmentTokens } from './auth/development';
import { createLogger } from './logger';
import { requiredNode, unsupportedNode } from './node-support';

async function main(): Promise<void> {
  const tooOld = unsupportedNode(requiredNode());
  if (tooOld) {
    console.error(tooOld);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, { pretty: config.logPretty });
  const app = await startOrderstream(config, logger);
  logger.info(`GraphQL API:   ${app.url}/graphql (subscriptions: ${app.url.replace(/^http/, 'ws')}/graphql)`);
  logger.info(`GraphQL IDE:   ${app.url}/graphql in a browser`);
  // Plain text on stdout, not a log record: it is meant to be read and copied.
  if (app.developmentTokens && app.pageKey) {
    console.log(formatDevelopmentTokens(app.developmentTokens, app.url, app.pageKey));
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`orderstream failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
