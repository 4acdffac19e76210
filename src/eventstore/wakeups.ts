import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Client, type ClientConfig, type Pool } from 'pg';

/** The log has grown. */
export const EVENTS_CHANNEL = 'orderstream_events';
/** A projector's checkpoint has moved (read-your-writes waits on this). */
export const CHECKPOINTS_CHANNEL = 'orderstream_checkpoints';

type Logger = { warn(obj: object, msg: string): void };

/**
 * Why a listener is woken: `news`, something was committed (here, or announced by another process); `settled`, a
 * transaction that may have held the readers' horizon has ended (the NOTIFY this process sent after a commit), so
 * events committed earlier but held above it may be readable now, and no news of them will follow.
 */
export type Wake = 'news' | 'settled';

/** A data-less signal: poke it after a commit; listeners in this process and in every other one wake up. */
export type WakeUps = {
  poke(): void;
  /**
   * For a transaction that sends the wake-up itself, delivered at its commit and with nothing sent after it:
   * the statement to run inside it, and `committed()` to call once it has committed (wakes this process).
   */
  readonly inTransaction: { statement: { name: string; text: string; values: unknown[] }; committed(): void };
  /**
   * For a statement that can send the wake-up itself (`pg_notify(channel, payload)`, delivered at its commit):
   * the arguments, when no NOTIFY of this process is in flight on the channel, so that the statement is that
   * NOTIFY; undefined otherwise (then `poke()` after it, as usual). A claim ends with `done`, once the statement
   * has committed or failed.
   */
  claim(): WakeClaim | undefined;
  onWake(fn: (wake: Wake) => void): () => void;
};

export type WakeClaim = { channel: string; payload: string; done(committed: boolean): void };

/**
 * Cross-process wake-ups over LISTEN/NOTIFY. They carry no data (the database is the truth), so they can be
 * coalesced: a NOTIFY serialises committing transactions inside PostgreSQL, and one per append caps throughput, so
 * each channel has at most one NOTIFY in flight per process and every poke meanwhile shares the next. Listeners in
 * this process are woken at once; other processes hear the NOTIFY on their one LISTEN connection, and poll as a
 * fallback anyway.
 */
export class Notifier {
  private readonly local = new EventEmitter();
  private readonly inFlight = new Set<string>();
  /** Channels whose NOTIFY a statement is carrying (see claim). */
  private readonly claimed = new Set<string>();
  private readonly pending = new Set<string>();
  private readonly channels = new Set<string>();
  private listener: Client | undefined;
  private closed = false;
  /** Sent as the payload, so this process can tell its own NOTIFYs when they come back on its LISTEN connection. */
  private readonly origin = randomUUID();

  constructor(
    private readonly pool: Pool,
    private readonly connection: ClientConfig,
    private readonly logger: Logger,
  ) {
    this.local.setMaxListeners(0);
  }

  channel(name: string): WakeUps {
    this.channels.add(name);
    if (this.listener) void this.listener.query(`LISTEN ${name}`).catch(() => undefined);
    return {
      poke: () => this.poke(name),
      inTransaction: {
        statement: this.statement(name),
        committed: () => this.local.emit(name, 'news'),
      },
      claim: () => this.claim(name),
      onWake: (fn) => {
        this.local.on(name, fn);
        return () => this.local.off(name, fn);
      },
    };
  }

  private statement(name: string) {
    return { name: `notify-${name}`, text: `SELECT pg_notify('${name}', $1)`, values: [this.origin] };
  }

  /**
   * One statement at a time carries the NOTIFY, and only while none of this process's own is under way. Pokes
   * meanwhile do not wait for it (an append can wait long on a row lock): they send their own NOTIFY, coalesced as
   * usual. No `settled` wake-up follows a claim: its NOTIFY had no transaction of its own.
   */
  private claim(name: string): WakeClaim | undefined {
    if (this.inFlight.has(name) || this.claimed.has(name) || this.closed) return undefined;
    this.claimed.add(name);
    return {
      channel: name,
      payload: this.origin,
      done: (committed) => {
        this.claimed.delete(name);
        if (committed) this.local.emit(name, 'news');
      },
    };
  }

  private poke(name: string): void {
    this.local.emit(name, 'news');
    if (this.inFlight.has(name)) {
      this.pending.add(name);
      return;
    }
    void this.notify(name);
  }

  private async notify(name: string): Promise<void> {
    this.inFlight.add(name);
    try {
      do {
        this.pending.delete(name);
        await this.pool.query(this.statement(name));
        // The NOTIFY ran in a transaction of its own, which held back the readers' horizon while it was open:
        // wake local readers once more for what was committed meanwhile.
        this.local.emit(name, 'settled');
      } while (this.pending.has(name) && !this.closed);
    } catch (error) {
      if (!this.closed) {
        this.logger.warn(
          { error: (error as Error).message },
          'could not send a wake-up notification; readers will poll',
        );
      }
    } finally {
      this.inFlight.delete(name);
    }
  }

  /** Opens the dedicated LISTEN connection; reconnects on loss (readers poll meanwhile). */
  async listen(): Promise<void> {
    if (this.closed) return;
    const client = new Client(this.connection);
    // Our own NOTIFY coming back wakes nobody: local listeners were woken when it was sent and once more when its
    // transaction ended, and a third round of reads of the log per commit only costs.
    client.on('notification', (message) => {
      if (message.payload !== this.origin) this.local.emit(message.channel, 'news');
    });
    client.on('error', (error) => {
      if (this.closed) return;
      this.logger.warn({ error: error.message }, 'LISTEN connection lost; reconnecting');
      void client.end().catch(() => undefined);
      this.listener = undefined;
      this.reconnectSoon();
    });
    await client.connect();
    for (const name of this.channels) await client.query(`LISTEN ${name}`);
    this.listener = client;
    // Anything that happened while nobody was listening is picked up by these wake-ups.
    for (const name of this.channels) this.local.emit(name, 'news');
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
