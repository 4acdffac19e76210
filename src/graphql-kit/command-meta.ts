import type { CommandMeta } from '../commands/handle-command';
import { commandsOf } from './operation-commands';
import type { GraphQLContext } from './context';

type MetaInput = { commandId?: string | null; correlationId?: string | null };

/** The metadata fields every mutation input carries, plus who is asking. */
export function commandMeta(input: MetaInput, context: GraphQLContext): CommandMeta {
  return {
    commandId: input.commandId,
    correlationId: input.correlationId,
    userId: context.userId,
    owner: context.owner,
    onIds: (ids) => commandsOf(context).push(ids),
  };
}
