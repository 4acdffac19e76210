import { startOrderstream, type Orderstream } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './database';
import { startJwksServer, type JwksServer, type SigningKey } from './jwks-server';

export type JwksOrderstream = { app: Orderstream; jwks: JwksServer; close(): Promise<void> };

/**
 * An orderstream that checks tokens against a local JWKS publishing `keys`, with `env` on top. Not
 * startTestServer: that one mints its admin token with the server's own secret, which a JWKS-mode server has none
 * of (and both AUTH_* together are refused).
 */
export async function startJwksOrderstream(
  keys: readonly SigningKey[],
  env: Record<string, string> = {},
): Promise<JwksOrderstream> {
  const jwks = await startJwksServer(keys);
  let db: TestDatabase | undefined;
  try {
    db = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
      AUTH_JWKS_URL: jwks.url,
      ...env,
    });
    const app = await startOrderstream(config, createLogger(config.logLevel));
    const started = db;
    return {
      app,
      jwks,
      async close() {
        await app.stop();
        await started.drop();
        await jwks.close();
      },
    };
  } catch (error) {
    await db?.drop();
    await jwks.close();
    throw error;
  }
}
