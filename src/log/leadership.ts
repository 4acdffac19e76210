import { Client, type ClientConfig } from 'pg';

type Logger = { warn(obj: object, msg: string): void };

// Namespace for the two-key advisory locks, one lock per projector name.
const LOCK_SPACE = 72707370;

/**
 * Which projectors this process runs. Each is guarded by a session advisory lock on one dedicated connection:
 * while it is held no other process runs that projector, and when this process dies or its connection drops,
 * PostgreSQL releases the lock and another instance takes over on its next try.
 */
export class Leadership {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private readonly held = new Set<string>();
  private closed = false;
  /** Processors ask concurrently; one connection answers one query at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connection: ClientConfig,
    private readonly logger: Logger,
  ) {}

  holds(name: string): boolean {
    return this.held.has(name);
  }

  async tryAcquire(name: string): Promise<boolean> {
    if (this.closed) return false;
    if (this.held.has(name)) return true;
    const { rows } = await this.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', name);
    if (rows[0]?.ok) this.held.add(name);
    return this.held.has(name);
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name) || !this.client) return;
    await this.query('SELECT pg_advisory_unlock($1, hashtext($2))', name).catch(() => undefined);
  }

  private query<R extends object>(sql: string, name: string) {
    const run = this.queue.then(async () => (await this.connect()).query<R>(sql, [LOCK_SPACE, name]));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new Client(this.connection);
      client.on('error', (error) => {
        // Losing the connection loses every lock on it: stop leading at once; the processors try again.
        if (!this.closed) this.logger.warn({ error: error.message }, 'leadership connection lost');
        this.held.clear();
        this.client = undefined;
        void client.end().catch(() => undefined);
      });
      try {
        await client.connect();
        this.client = client;
        return client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.held.clear();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
