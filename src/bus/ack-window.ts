import { withTimeout } from './deadline';

/**
 * The broker acknowledgements a publisher awaits while it keeps sending: at most `size` outstanding, so a batch is
 * pipelined (one round trip for many messages, not one each) with bounded memory. It fails as soon as any
 * acknowledgement fails, not when its turn comes, and when the broker goes `stallMs` without acknowledging the
 * oldest outstanding message: a broker that accepts a connection but stops answering must not hang the relay.
 */
export class AckWindow {
  private readonly pending: Promise<unknown>[] = [];
  private readonly failed: Promise<never>;
  private fail!: (error: unknown) => void;

  constructor(
    private readonly size: number,
    private readonly stallMs: number,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => (this.fail = reject));
    // Observed through `wait`; a failure after the caller has stopped waiting must not be an unhandled rejection.
    this.failed.catch(() => undefined);
  }

  add(ack: Promise<unknown>): void {
    ack.catch(this.fail);
    this.pending.push(ack);
  }

  /** Resolves once fewer than `size` acknowledgements are outstanding. */
  async room(): Promise<void> {
    while (this.pending.length >= this.size) await this.wait(this.pending.shift()!);
  }

  /** Resolves once every acknowledgement has come. */
  async all(): Promise<void> {
    while (this.pending.length > 0) await this.wait(this.pending.shift()!);
  }

  /** `step`, unless an acknowledgement fails first or nothing happens for `stallMs`. */
  wait<T>(step: Promise<T>): Promise<T> {
    return withTimeout(Promise.race([step, this.failed]), this.stallMs, 'waiting for the broker to acknowledge');
  }
}
