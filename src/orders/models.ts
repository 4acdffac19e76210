import type { CommandOutcome } from '../commands/handle-command';
import type { OrderState } from './state';

/** What the order mutations answer: the command's outcome with the order as it stands after it. */
export type OrderCommandResultModel = Omit<CommandOutcome<unknown>, 'state' | 'stream'> & { order: OrderState };
