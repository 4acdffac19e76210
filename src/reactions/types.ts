import type { CommandMeta, CommandOptions } from '../commands/handle-command';
import type { Reads } from '../db/reads';
import type { EventStore, StoredEvent } from '../eventstore';

/** What a command sent by a reaction answers (a command's outcome): where its events are in the log. */
export type Sent = { position: bigint; events: readonly { eventType: string }[] };

/**
 * What a reaction to one event works with: the command side a mutation uses, the query tables, and the metadata its
 * commands carry.
 */
export type ReactionContext = {
  store: EventStore;
  commands: CommandOptions;
  reads: Reads;
  /**
   * Waits until the named projectors (those whose tables the reaction reads) have passed the event reacted to, so
   * that their tables show everything appended before it. Throws when one has FAILED or does not get there in
   * time: the reaction is then tried again later, never run on tables that miss what came first.
   */
  readModelsPassed(projectors: readonly string[]): Promise<void>;
  /**
   * Sends one command as the caller `system`: its commandId `<reactor>:<eventId>:<key>` (`key` names the command
   * among those this reaction sends, e.g. the aggregate it acts on), its causationId the event, its correlationId
   * the event's. A command already recorded under that id is answered from the log without appending again (a
   * reaction re-run after a crash); one refused as moot (BUSINESS_RULE_VIOLATION: the aggregate has moved on) is a
   * no-op, answered undefined. What it appends joins this process's read-your-writes fence, as a mutation's does:
   * reads here then show it.
   */
  send<T extends Sent>(key: string, run: (meta: CommandMeta) => Promise<T>): Promise<T | undefined>;
};

/**
 * A reactor turns events into commands: a processor whose effect is the commands it sends, each through the command
 * handler a mutation uses. Its checkpoint moves once every command of a batch has been answered, so a crash in
 * between sends them again, and their commandIds, made from the event, make that a replay rather than a second
 * append: at least once in delivery, once in effect.
 */
export type Reactor = {
  /** Its checkpoint row and its leadership lock: `reactor:` and this. */
  name: string;
  /** The event types it reacts to; the others are skipped without being loaded. */
  eventTypes: readonly string[];
  react(event: StoredEvent, context: ReactionContext): Promise<void>;
};
