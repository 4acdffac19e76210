import { EventEmitter } from 'node:events';
import { Client, type ClientConfig, type Pool } from 'pg';

export const EVENTS_CHANNEL = 'orderstream_events';

type Logger = { warn(obj: object, msg: string): void };

/**
 * "The log has grown" signals. They carry no data (the log is the truth), so they can be coalesced: a NOTIFY
 * serialises committing transactions inside PostgreSQL, and one per append caps throughput, so at most one is in
 * flight per process and every append that lands meanwhile shares the next. Readers in this process are woken
 * at once; readers in other processes hear the NOTIFY on their LISTEN connection, and poll as a fallback anyway.
 */
export class WakeUps {
  private readonly local = new EventEmitter();
  private inFlight = false;
  private pending = false;
  private listener: Client | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly connection: ClientConfig,
    private readonly logger: Logger,
  ) {
    this.local.setMaxListeners(0);
  }

  /** Calls `fn` on every wake-up, local or from another process; returns the unsubscribe function. */
  onWake(fn: () => void): () => void {
    this.local.on('wake', fn);
    return () => this.local.off('wake', fn);
  }

  /** Called after an append committed. */
  poke(): void {
    this.local.emit('wake');
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    void this.notify();
  }

  private async notify(): Promise<void> {
    this.inFlight = true;
    try {
      do {
        this.pending = false;
        await this.pool.query({ name: 'notify-events', text: `SELECT pg_notify('${EVENTS_CHANNEL}', '')` });
      } while (this.pending && !this.closed);
    } catch (error) {
      if (!this.closed) {
        this.logger.warn({ error: (error as Error).message }, 'could not send a wake-up notification; readers will poll');
      }
    } finally {
      this.inFlight = false;
    }
  }

  /** Opens the dedicated LISTEN connection; reconnects on loss (readers poll meanwhile). */
  async listen(): Promise<void> {
    if (this.closed) return;
    const client = new Client(this.connection);
    client.on('notification', () => this.local.emit('wake'));
    client.on('error', (error) => {
      this.logger.warn({ error: error.message }, 'LISTEN connection lost; reconnecting');
      void client.end().catch(() => undefined);
      this.listener = undefined;
      this.reconnectSoon();
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.listener = client;
    // Anything appended while we were not listening is picked up by this wake-up.
    this.local.emit('wake');
  }

  private reconnectSoon(): void {
    if (this.closed) return;
    setTimeout(() => void this.listen().catch(() => this.reconnectSoon()), 1000).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.local.removeAllListeners();
    await this.listener?.end().catch(() => undefined);
  }
}
