import type { CommandMeta, CommandOptions } from '../commands/handle-command';
import type { Config } from '../config';
import type { EventStore, StoredEvent } from '../eventstore';
import type { Sent } from '../reactions/types';

/** A command an event asks to be sent later: at `dueAt`, unless an event cancels it by `key` first. */
export type Scheduling = {
  /** Unique among pending commands: names what the command is about (e.g. `payment-window:<orderId>`). */
  key: string;
  dueAt: Date;
  /** The command's input, stored as JSON and handed back to `send` when it is due. */
  input: Record<string, unknown>;
};

/** What one event does to a deadline: schedules its command, cancels pending ones by key, or neither. */
export type DeadlinePlan = { schedule?: Scheduling; cancel?: readonly string[] };

/**
 * A deadline: a command the service sends itself at a time an event sets, unless a later event cancels it first.
 * `plan` is pure (the event alone decides, so the log decides, whenever it is read); `send` runs the command
 * through the command handler a mutation uses.
 */
export type Deadline = {
  /** Names the command in scheduled_commands: the scheduler finds this deadline's `send` by it. */
  command: string;
  /** The event types that schedule or cancel it. */
  eventTypes: readonly string[];
  plan(event: StoredEvent): DeadlinePlan;
  /**
   * Whether, so configured, it schedules anything: when no deadline does, the scheduled-commands projector does not
   * run (each of its batches is a transaction of its own, on every event of its types). Rows already scheduled
   * are still sent when due, and a cancellation it no longer writes is taken care of by the command's own decision,
   * which refuses a moot one.
   */
  active(config: Config): boolean;
  /**
   * Sends the due command with `meta` (caller `system`, commandId from the key, causation the asking event). A
   * command refused as moot (BUSINESS_RULE_VIOLATION: the aggregate has moved on) is a no-op for the scheduler.
   */
  send(input: unknown, meta: CommandMeta, deps: { store: EventStore; commands: CommandOptions }): Promise<Sent>;
};
