import type { Pool, PoolClient } from 'pg';
import type { Projector } from './types';

const SUFFIX = '__rebuild';

export const shadowName = (table: string) => `${table}${SUFFIX}`;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Fresh, empty copies of a projector's tables (same columns, defaults, indexes) to rebuild into. */
export async function createShadowTables(pool: Pool, projector: Projector): Promise<void> {
  const client = await pool.connect();
  const onError = () => undefined; // the failing query reports it
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    for (const table of projector.tables) {
      await client.query(`DROP TABLE IF EXISTS ${ident(shadowName(table))}`);
      await client.query(`CREATE TABLE ${ident(shadowName(table))} (LIKE ${ident(table)} INCLUDING ALL)`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    client.release();
  }
}

export async function dropShadowTables(pool: Pool, projector: Projector): Promise<void> {
  for (const table of projector.tables) await pool.query(`DROP TABLE IF EXISTS ${ident(shadowName(table))}`);
}

/**
 * Puts the rebuilt tables in place of the live ones inside the caller's transaction, so readers see either the
 * old tables or the new ones, never a mix. Readers are blocked only for the moment the renames take.
 */
export async function swapInShadowTables(client: PoolClient, projector: Projector): Promise<void> {
  const live = projector.tables.map(ident).join(', ');
  await client.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
  for (const table of projector.tables) {
    await client.query(`DROP TABLE ${ident(table)}`);
    await client.query(`ALTER TABLE ${ident(shadowName(table))} RENAME TO ${ident(table)}`);
  }
}
