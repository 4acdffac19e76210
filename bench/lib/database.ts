import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';

export type BenchDatabase = {
  /** The fresh, migrated database of this run. */
  url: string;
  name: string;
  /** True when this run started its own embedded PostgreSQL (no DATABASE_URL). */
  embedded: boolean;
  /** Server version and the settings that decide what a commit costs. */
  info: Record<string, string>;
  /** The embedded server's postmaster process (its backends are its children); undefined for DATABASE_URL. */
  postmasterPid: number | undefined;
  /** Drops the run's database; stops and removes the embedded server, if any. */
  stop(): Promise<void>;
};

/** Same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined); // a lost connection also fails the pending query, which reports it
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * DATABASE_URL's server, or a throwaway embedded PostgreSQL in a fresh folder under the OS temp dir; either way a
 * fresh database for this run, migrated with the app's own runner.
 */
export async function startDatabase(log: (message: string) => void): Promise<BenchDatabase> {
  let serverUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  const postgresLog: string[] = [];
  if (!serverUrl) {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'orderstream-bench-'));
    // As root the cluster runs as another OS user, which must be able to reach the folder.
    await fs.chmod(dataDir, 0o755);
    log(`starting an embedded PostgreSQL in ${dataDir}`);
    try {
      embedded = await startEmbeddedPostgres({
        dataDir,
        database: 'postgres',
        log: (line) => {
          postgresLog.push(line.trimEnd());
          if (postgresLog.length > 40) postgresLog.shift();
        },
      });
    } catch (error) {
      await fs.rm(dataDir, { recursive: true, force: true });
      throw new Error(`${(error as Error).message}\n${postgresLog.join('\n')}`, { cause: error });
    }
    serverUrl = embedded.url;
  } else {
    log(`using the PostgreSQL server of DATABASE_URL (${new URL(serverUrl).host})`);
  }

  const name = `orderstream_bench_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  const postmasterPid = dataDir ? await readPostmasterPid(dataDir) : undefined;
  const stopServer = async () => {
    try {
      // Ctrl-C in a terminal signals the whole process group, the embedded postgres included: it may be gone
      // already, and the package's stop() would then wait for an exit that has happened.
      if (embedded && (postmasterPid === undefined || isAlive(postmasterPid))) {
        await withTimeout(embedded.stop(), 30_000, 'the embedded PostgreSQL did not stop within 30 s');
      }
    } finally {
      if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    }
  };
  try {
    await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    await migrate(url);
    const info = await withClient(url, async (c) => {
      const { rows } = await c.query<{ name: string; setting: string }>(
        `SELECT name, current_setting(name) AS setting FROM pg_settings
         WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes',
                        'shared_buffers', 'max_connections', 'commit_delay')
         ORDER BY name`,
      );
      return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    });
    log(`database ${name} created and migrated (PostgreSQL ${info.server_version ?? '?'})`);
    return {
      url,
      name,
      embedded: embedded !== undefined,
      info,
      postmasterPid,
      async stop() {
        try {
          if (postmasterPid === undefined || isAlive(postmasterPid)) {
            await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
          }
        } finally {
          await stopServer();
        }
      },
    };
  } catch (error) {
    await stopServer().catch(() => undefined);
    throw error;
  }
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  const pidFile = await fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(pidFile.split('\n', 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Flushes dirty pages so that a measurement does not inherit the previous one's checkpoint debt. Needs superuser
 * or pg_checkpoint (PostgreSQL 15+); elsewhere it is skipped.
 */
export async function checkpoint(url: string): Promise<boolean> {
  try {
    await withClient(url, (c) => c.query('CHECKPOINT'));
    return true;
  } catch {
    return false;
  }
}
