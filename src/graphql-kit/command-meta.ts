import { commandIds, type SentIds } from '../commands/command-ids';
import type { CommandMeta } from '../commands/handle-command';
import type { GraphQLContext } from './context';

/**
 * A mutation's command metadata: its ids, made here from the input's commandId and correlationId and who is asking,
 * and recorded with the operation (its log line names them) before they are passed down to the command.
 */
export function commandMeta(input: SentIds, context: GraphQLContext): CommandMeta {
  const ids = commandIds(input, { owner: context.owner }, context.services.config.inputLimits.idLength);
  context.commands.push(ids);
  return { ids, userId: context.userId, owner: context.owner };
}
