import type { ScheduledCommand } from '../generated/prisma/client';
import { NO_CHANGES, type Projector } from '../projections/types';
import { SCHEDULED_COMMANDS_TABLE, writeScheduledCommands } from './scheduled-commands';
import type { Deadline } from './types';

/** The projector that keeps scheduled_commands: its checkpoint row and lock. */
export const SCHEDULED_COMMANDS_PROJECTOR = 'scheduled-commands';

/**
 * Keeps scheduled_commands from the log: each event a deadline plans from schedules its command or cancels one by
 * key. Why a projector, rather than a row written by the append that asks for it: the rows are a pure function of
 * the log (what each deadline's `plan` makes of its events), so writing them in the batch transaction that moves
 * this projector's checkpoint makes each event's schedule or cancellation land exactly once, atomically with the
 * log as far as anyone can tell (the log is the truth; the row follows its event, never without it, and a crash
 * leaves both or neither), while the append, the hot path every command takes, stays as it is. A rebuild derives
 * the same pending rows again. Deadlines are minutes to days long; the projector's delay is milliseconds.
 */
export function scheduledCommandsProjector(deadlines: readonly Deadline[]): Projector {
  return {
    name: SCHEDULED_COMMANDS_PROJECTOR,
    version: 1,
    eventTypes: [...new Set(deadlines.flatMap((d) => d.eventTypes))],
    tables: [SCHEDULED_COMMANDS_TABLE],
    apply(events) {
      // The batch's last word on each key, in log order: a command scheduled and cancelled within it is never written.
      const changes = new Map<string, ScheduledCommand | null>();
      for (const event of events) {
        for (const deadline of deadlines) {
          if (!deadline.eventTypes.includes(event.eventType)) continue;
          const { schedule, cancel = [] } = deadline.plan(event);
          for (const key of cancel) changes.set(key, null);
          if (!schedule) continue;
          changes.set(schedule.key, {
            key: schedule.key,
            command: deadline.command,
            input: schedule.input,
            dueAt: schedule.dueAt,
            causationId: event.eventId,
            correlationId: event.metadata.correlationId,
            position: event.position,
          } as ScheduledCommand);
        }
      }
      if (changes.size === 0) return Promise.resolve(NO_CHANGES);
      return Promise.resolve({ changes: [], write: (tx) => writeScheduledCommands(tx, changes) });
    },
  };
}
