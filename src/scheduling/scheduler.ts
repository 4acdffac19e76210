import type { ClientConfig } from 'pg';
import type { Logger } from 'pino';
import type { CommandMeta, CommandOptions } from '../commands/handle-command';
import type { Reads } from '../db/reads';
import type { EventStore, WakeUps } from '../eventstore';
import type { ProjectionProgress } from '../log/fence';
import { Leadership } from '../log/leadership';
import { ConsumerLoop } from '../log/loop';
import { SYSTEM_USER } from '../auth/principal';
import { sendOwnCommand } from '../reactions/own-command';
import {
  dueScheduledCommands,
  msUntilNextDue,
  removeScheduledCommand,
  scheduledCommandsLag,
  type ScheduledCommandRow,
} from './scheduled-commands';
import type { Deadline } from './types';

/** The scheduler's leadership lock: one instance sends due commands. */
const SCHEDULER_LOCK = 'scheduler';

/**
 * How long a checkpoint's wake-up waits before the scheduler looks, gathering the others that come meanwhile: under
 * load they come with every projector batch, and one look per this is plenty for rows due a second or more later.
 */
const WAKE_GATHER_MS = 100;

export type SchedulerOptions = {
  /** The most due commands one step sends (in due order) before it looks again. */
  batchSize: number;
  /**
   * The longest the scheduler sleeps without looking (a follower's next try to lead; a leader's fallback when a
   * wake-up was missed): it otherwise wakes at the next due time, or when a checkpoint moves (a row may be new).
   */
  pollMs: number;
  /** How long it waits after a failed step (the database away, a command failing) before trying again. */
  retryMs: number;
};

export type SchedulerDeps = {
  store: EventStore;
  commands: CommandOptions;
  reads: Reads;
  connection: ClientConfig;
  /** Checkpoint moves, here and in other instances: the projector that writes scheduled_commands sends one. */
  checkpoints: WakeUps;
  /** The read-your-writes fence the commands it sends join, as a mutation's do. */
  projections: ProjectionProgress;
  logger: Logger;
  deadlines: readonly Deadline[];
  options: SchedulerOptions;
};

export type SchedulerReport = {
  /** Commands scheduled and not sent yet, due or not. */
  pending: number;
  /** Of those, how many are due already. */
  due: number;
  /** How late the oldest due one is, in seconds (0 when none is due). */
  oldestDueSeconds: number;
  leader: boolean;
  /** Why its last step failed (it retries); null once a step has succeeded. */
  lastError: string | null;
};

/**
 * The metadata a scheduled command is sent with: the caller `system`, caused by the event that scheduled it, in its
 * correlation, and a commandId made from the row's key and that event, so that sending it again (after a crash
 * before its row was removed) is answered from the log rather than appended twice.
 */
export function scheduledCommandMeta(
  row: Pick<ScheduledCommandRow, 'key' | 'causationId' | 'correlationId'>,
): CommandMeta {
  return {
    userId: SYSTEM_USER,
    ids: {
      commandId: `scheduled:${row.key}:${row.causationId}`,
      causationId: row.causationId,
      correlationId: row.correlationId,
    },
  };
}

/**
 * Sends scheduled commands when they are due (scheduled_commands, kept from the log by its projector): one leader
 * across instances, which sleeps until the next due time and wakes early when a checkpoint moves. Each command goes
 * through the command handler a mutation uses as the caller `system`, its commandId made from the row's key and the
 * event that asked for it, and its row is removed only once the command has been answered: a crash in between sends
 * it again, and the commandId makes that a replay of the first result, not a second append. So a deadline takes
 * effect once across instances and crashes. A command refused as moot (the order was paid first) is a no-op.
 */
export class Scheduler {
  private readonly leadership: Leadership;
  private readonly loop: ConsumerLoop;
  private readonly byCommand: ReadonlyMap<string, Deadline>;
  private readonly commands: readonly string[];
  private unsubscribe: (() => void) | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private lastError: string | null = null;

  constructor(private readonly deps: SchedulerDeps) {
    this.leadership = new Leadership(deps.connection, deps.logger);
    this.byCommand = new Map(deps.deadlines.map((d) => [d.command, d]));
    this.commands = [...this.byCommand.keys()];
    this.loop = new ConsumerLoop({
      name: 'scheduler',
      step: () => this.step(),
      pollMs: deps.options.pollMs,
      retryMs: deps.options.retryMs,
      logger: deps.logger,
    });
  }

  get leads(): boolean {
    return this.leadership.holds(SCHEDULER_LOCK);
  }

  start(): void {
    if (this.commands.length === 0) return;
    // A checkpoint's move may be the projector's writing a row due sooner than the one the scheduler waits for.
    this.unsubscribe = this.deps.checkpoints.onWake(() => {
      this.wakeTimer ??= setTimeout(() => {
        this.wakeTimer = undefined;
        this.loop.poke();
      }, WAKE_GATHER_MS);
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearTimeout(this.wakeTimer);
    await this.loop.stop();
    await this.leadership.close();
  }

  async report(): Promise<SchedulerReport> {
    return { ...(await scheduledCommandsLag(this.deps.reads)), leader: this.leads, lastError: this.lastError };
  }

  /**
   * Sends what is due; with nothing due, waits for the next due time itself (the loop's own wait is the poll), or
   * less when a wake-up comes. True: look again at once.
   */
  private async step(): Promise<boolean> {
    try {
      if (!(await this.leadership.tryAcquire(SCHEDULER_LOCK))) return false;
      const due = await dueScheduledCommands(this.deps.reads, this.commands, this.deps.options.batchSize);
      for (const row of due) {
        if (this.loop.stopping) break;
        await this.fire(row);
      }
      this.lastError = null;
      if (due.length > 0) return true;
      const untilNext = await msUntilNextDue(this.deps.reads, this.commands);
      if (untilNext !== null && untilNext < this.deps.options.pollMs) {
        await this.loop.delay(Math.ceil(untilNext));
        return true;
      }
      return false;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  private async fire(row: ScheduledCommandRow): Promise<void> {
    const deadline = this.byCommand.get(row.command)!;
    await sendOwnCommand(
      () => deadline.send(row.input, scheduledCommandMeta(row), this.deps),
      this.deps.projections,
      (refusal) =>
        this.deps.logger.info(
          { key: row.key, command: row.command, rule: refusal.rule, err: refusal.message },
          'scheduled command refused as moot: nothing to do',
        ),
    );
    await removeScheduledCommand(this.deps.reads, row);
  }
}
