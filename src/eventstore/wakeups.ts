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

/**
 * How a write sends its wake-up. `alone`: on its own, after the write (coalesced with this process's others).
 * `shared`: carried by the write's own statement when no NOTIFY of this process is under way on the channel (many
 * concurrent writers then share one), else alone. `carried`: always carried by the write's transaction (a writer
 * that commits rarely, so its NOTIFY serialises little).
 */
export type Carry = 'alone' | 'shared' | 'carried';

/** A wake-up under way: `notify`, when given, goes into the write (`pg_notify(channel, payload)`). */
export type OutgoingWake = {
  notify?: { channel: string; payload: string };
  /** Call once the write has committed or failed: wakes this process, and sends the NOTIFY if nothing carried it. */
  sent(committed: boolean): void;
};

/** A data-less signal: sent after a commit, it wakes listeners in this process and in every other one. */
export type WakeUps = {
  send(carry?: Carry): OutgoingWake;
  /** A wake-up sent alone: `send().sent(true)`. */
  poke(): void;
  onWake(fn: (wake: Wake) => void): () => void;
};

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
  /** Channels whose NOTIFY a write is carrying for every writer of this process (see claim). */
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
    const send = (carry: Carry = 'alone'): OutgoingWake => {
      const shared = carry === 'shared' && this.claim(name);
      if (!shared && carry !== 'carried') {
        return {
          sent: (committed) => {
            if (committed) this.poke(name);
          },
        };
      }
      return {
        notify: { channel: name, payload: this.origin },
        sent: (committed) => {
          if (shared) this.claimed.delete(name);
          if (committed) this.local.emit(name, 'news');
        },
      };
    };
    return {
      send,
      poke: () => send().sent(true),
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
  private claim(name: string): boolean {
    if (this.inFlight.has(name) || this.claimed.has(name) || this.closed) return false;
    this.claimed.add(name);
    return true;
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
