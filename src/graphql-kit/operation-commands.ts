import type { CommandIds } from '../commands/handle-command';

const newList = (): CommandIds[] => [];

/**
 * The commands one GraphQL operation ran, in order: filled as each learns its ids (CommandMeta.onIds), read by the
 * operation's log line. One list per operation, kept with its other per-operation state (`perRequest`).
 */
export function commandsOf(operation: { perRequest<T>(make: () => T): T }): CommandIds[] {
  return operation.perRequest(newList);
}
