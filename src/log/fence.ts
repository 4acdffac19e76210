import type { PrismaClient } from '../db/prisma';
import { readCheckpoints } from './checkpoints';

/** A processor the fence can wait for: its checkpoint's name, and the event types whose effects it shows. */
export type Fenced = { readonly name: string; readonly eventTypes: readonly string[] };

/** How stale this process's knowledge that a projector FAILED may be before a wait re-reads the checkpoints. */
const FAILED_RECHECK_MS = 1000;

/** How a wait for the projectors ended. */
export type WaitOutcome = {
  /** Every projector asked about that has not FAILED has passed the position. */
  reached: boolean;
  /**
   * The projectors asked about that have FAILED short of the position: nobody waits for them (they stay stopped
   * until retried).
   */
  failed: string[];
};

/**
 * What this process knows of every projector's progress, wherever it runs: its checkpoint and whether it has
 * FAILED. Local commits update it at once; other instances' show up in the checkpoints table, read when they
 * announce a commit and someone waits, or when a wait has heard nothing for a while.
 */
export class ProjectionProgress {
  private readonly positions = new Map<string, bigint>();
  private readonly failed = new Set<string>();
  private failedCheckedAt = 0;
  private readonly waiters = new Set<() => void>();
  /**
   * How far this process's commands have got, per projector that reads their events: reads of the query tables
   * wait behind it, so that a client's next query shows what its mutation answered.
   */
  private readonly fence = new Map<string, bigint>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly projectors: readonly Fenced[],
    /** Whether this process runs the projector (then its progress here is current without reading the table). */
    private readonly leads: (projector: string) => boolean,
  ) {}

  /**
   * Waits until every projector that reads any of `eventTypes` has processed the log up to `position`, or has
   * FAILED: a failed projector stays stopped until an operator retries it, so waiting for it would only stall
   * every command for the whole timeout. Gives up after `timeoutMs` (reached: false).
   */
  waitFor(position: bigint, eventTypes: readonly string[], timeoutMs: number): Promise<WaitOutcome> {
    return this.waitForTargets(new Map(this.readersOf(eventTypes).map((name) => [name, position])), timeoutMs);
  }

  /** Waits as waitFor does until each of the named projectors has processed the log up to `position`. */
  waitForProjectors(position: bigint, names: readonly string[], timeoutMs: number): Promise<WaitOutcome> {
    return this.waitForTargets(new Map(names.map((name) => [name, position])), timeoutMs);
  }

  /** A command in this process committed events of these types, the last at `position`. */
  wrote(position: bigint, eventTypes: readonly string[]): void {
    for (const name of this.readersOf(eventTypes)) {
      if ((this.fence.get(name) ?? -1n) < position) this.fence.set(name, position);
    }
  }

  /**
   * Waits as waitFor does until the projectors have passed every command this process has committed so far, and,
   * with `atLeast`, every event up to that position (one a client was answered by another instance).
   */
  waitForWrites(timeoutMs: number, atLeast?: bigint): Promise<WaitOutcome> {
    const targets = new Map(this.fence);
    if (atLeast !== undefined) {
      for (const { name } of this.projectors) if ((targets.get(name) ?? -1n) < atLeast) targets.set(name, atLeast);
    }
    return this.waitForTargets(targets, timeoutMs);
  }

  private readersOf(eventTypes: readonly string[]): string[] {
    return this.projectors.filter((p) => p.eventTypes.some((t) => eventTypes.includes(t))).map((p) => p.name);
  }

  /** Waits until each named projector has passed its position; one FAILED short of it is reported, not waited for. */
  private async waitForTargets(targets: ReadonlyMap<string, bigint>, timeoutMs: number): Promise<WaitOutcome> {
    const names = [...targets.keys()];
    // Another instance may have retried a projector this process still believes FAILED.
    if (names.some((n) => this.failed.has(n)) && Date.now() - this.failedCheckedAt > FAILED_RECHECK_MS) {
      await this.refresh();
    }
    const passed = (name: string) => (this.positions.get(name) ?? -1n) >= targets.get(name)!;
    const failedShort = () => names.filter((n) => this.failed.has(n) && !passed(n));
    const outcome = (): WaitOutcome | undefined =>
      names.every((n) => this.failed.has(n) || passed(n)) ? { reached: true, failed: failedShort() } : undefined;
    const deadline = Date.now() + timeoutMs;
    for (let done = outcome(); ; done = outcome()) {
      if (done) return done;
      const left = deadline - Date.now();
      if (left <= 0) return { reached: false, failed: failedShort() };
      const woken = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => wake(false), Math.min(left, 100));
        const waiters = this.waiters;
        function wake(woke = true) {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(woke);
        }
        waiters.add(wake);
      });
      // No wake-up for a while (another instance leads and a NOTIFY was missed): look at the table itself.
      if (!woken && !outcome() && !names.every((n) => this.leads(n))) await this.refresh();
    }
  }

  /** How far the projector has got, as far as this process knows (-1 before anything is known). */
  position(name: string): bigint {
    return this.positions.get(name) ?? -1n;
  }

  /** A batch of this process's committed: the projector runs (again) and has got this far. */
  advanced(name: string, position: bigint): void {
    this.failed.delete(name);
    if ((this.positions.get(name) ?? -1n) < position) this.positions.set(name, position);
    this.wakeAll();
  }

  markFailed(name: string): void {
    this.failed.add(name);
    this.wakeAll();
  }

  retried(name: string): void {
    this.failed.delete(name);
  }

  /** A checkpoint moved somewhere: only another instance's projectors need the table to tell how far. */
  async refreshIfWaiting(): Promise<void> {
    const remote = this.projectors.some((p) => !this.leads(p.name));
    if (this.waiters.size > 0 && remote) await this.refresh().catch(() => undefined);
  }

  /** One read of the checkpoints serves every waiter that asks while it is under way. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const checkedAt = Date.now();
        for (const row of await readCheckpoints(this.prisma)) {
          this.positions.set(row.name, row.position);
          if (row.status === 'FAILED') this.failed.add(row.name);
          // A projector run here is known better from its processor (failed(), advanced()): a read that began before
          // its failure committed would otherwise clear it again.
          else if (!this.leads(row.name)) this.failed.delete(row.name);
        }
        this.failedCheckedAt = checkedAt;
      } finally {
        this.refreshing = undefined;
      }
      this.wakeAll();
    })();
    return this.refreshing;
  }

  /** Every waiter looks again (at stop: they then time out or find what they wait for). */
  wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
