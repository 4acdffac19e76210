import { SYSTEM_USER } from '../auth/principal';
import type { CommandMeta, CommandOptions } from '../commands/handle-command';
import type { Reads } from '../db/reads';
import type { EventStore, StoredEvent } from '../eventstore';
import type { ProjectionProgress } from '../log/fence';
import { sendOwnCommand } from './own-command';
import type { ReactionContext, Reactor } from './types';

type ContextDeps = {
  store: EventStore;
  commands: CommandOptions;
  reads: Reads;
  projections: ProjectionProgress;
  logger: { info(obj: object, msg: string): void };
  options: { readModelWaitMs: number };
};

/** The context of `reactor`'s reaction to `event`: every command it sends is derived from the event. */
export function reactionContext(reactor: Reactor, event: StoredEvent, deps: ContextDeps): ReactionContext {
  const correlationId = event.metadata.correlationId;
  return {
    store: deps.store,
    commands: deps.commands,
    reads: deps.reads,
    async readModelsPassed(projectors) {
      const { reached, failed } = await deps.projections.waitForProjectors(
        event.position,
        projectors,
        deps.options.readModelWaitMs,
      );
      if (failed.length > 0)
        throw new Error(`the ${failed.join(' and ')} projector FAILED before event ${event.eventId}`);
      if (!reached) throw new Error(`the query tables had not passed event ${event.eventId} yet`);
    },
    async send(key, run) {
      const meta: CommandMeta = {
        userId: SYSTEM_USER,
        ids: { commandId: `${reactor.name}:${event.eventId}:${key}`, causationId: event.eventId, correlationId },
      };
      return sendOwnCommand(
        () => run(meta),
        deps.projections,
        (refusal) =>
          deps.logger.info(
            { reactor: reactor.name, eventId: event.eventId, key, rule: refusal.rule, err: refusal.message },
            'reaction refused as moot: nothing to do',
          ),
      );
    },
  };
}
