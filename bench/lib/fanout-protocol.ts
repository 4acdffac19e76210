/**
 * What the fan-out stage (bench/stages/fanout.ts) and its subscriber process (bench/lib/fanout-subscribers.ts)
 * say to each other over the child process's IPC channel, and the order-sensitive hash both compute over a
 * sequence of positions (so the child need not ship every position back to prove what each subscriber got).
 */

export type ToSubscribers =
  /** Open `count` graphql-ws connections to `url`, each with one subscription to `query`. */
  | { type: 'connect'; url: string; authorization: string; count: number; query: string }
  /** Reply `probed` once every subscriber's last message is at `position` (or after `timeoutMs`). */
  | { type: 'probe'; position: string; timeoutMs: number }
  /** Start counting afresh; reply `measured` once every subscriber got `expect` messages, or nothing came for `idleMs`. */
  | { type: 'measure'; expect: number; idleMs: number; timeoutMs: number }
  | { type: 'disconnect' };

export type SubscriberTally = { count: number; hash: string; inOrder: boolean };

export type FromSubscribers =
  | { type: 'connected'; ms: number; errors: string[] }
  | { type: 'probed'; ready: number }
  | { type: 'measuring' }
  | {
      type: 'measured';
      /** Epoch milliseconds (performance.timeOrigin + performance.now()) of the first and last message. */
      firstAt: number | null;
      lastAt: number | null;
      complete: boolean;
      tallies: SubscriberTally[];
      errors: string[];
      /** CPU seconds this process used between `measuring` and `measured`. */
      cpuSeconds: number;
      /** Messages received in each second after `measuring` (all subscribers together). */
      perSecond: number[];
    }
  | { type: 'disconnected' }
  | { type: 'failed'; error: string };

/** Two FNV-1a 32-bit hashes (different offsets) over the positions, each followed by a separator. */
export class PositionHash {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;

  add(position: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < position.length; i++) {
      const c = position.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193);
    }
    this.a = Math.imul(a ^ 0x2c, 0x01000193);
    this.b = Math.imul(b ^ 0x3b, 0x01000193);
  }

  digest(): string {
    return `${(this.a >>> 0).toString(16).padStart(8, '0')}${(this.b >>> 0).toString(16).padStart(8, '0')}`;
  }
}

export const epochMs = () => performance.timeOrigin + performance.now();
