import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { newDataKey } from './field-cipher';

/** A master key and the id data keys record it by: a digest of the key, so that the id gives nothing away. */
export type MasterKey = { id: string; key: Buffer };

/** The key that wraps new and rewrapped data keys, and every key that may have wrapped one still stored. */
export type MasterKeys = { current: MasterKey; byId: ReadonlyMap<string, MasterKey> };

const DEV_DATA_KEY_FILE = 'data-key';

export function masterKey(key: Buffer): MasterKey {
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function masterKeys(current: Buffer, previous: readonly Buffer[] = []): MasterKeys {
  const all = [current, ...previous].map(masterKey);
  return { current: all[0]!, byId: new Map(all.map((k) => [k.id, k])) };
}

/**
 * DATA_KEY, or out of the box the development key: made once (random, 256 bits) under the data folder and kept, as
 * the development signing secret is, so data encrypted at one start can be read at the next. Never in production
 * (config refuses to start there without DATA_KEY).
 */
export async function resolveMasterKeys(
  config: { current: Buffer | undefined; previous: readonly Buffer[] },
  dataDir: string,
): Promise<MasterKeys> {
  return masterKeys(config.current ?? (await developmentDataKey(dataDir)), config.previous);
}

async function developmentDataKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, DEV_DATA_KEY_FILE);
  const read = async () => Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'base64url');
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await fs.mkdir(dataDir, { recursive: true });
  // `wx`: two processes starting together keep whichever wrote first.
  await fs
    .writeFile(file, newDataKey().toString('base64url'), { mode: 0o600, flag: 'wx' })
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  return read();
}
