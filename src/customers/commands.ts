import { randomUUID } from 'node:crypto';
import type { Aggregate } from '../commands/aggregate';
import { handleCommand, type Command, type CommandMeta, type CommandOutcome } from '../commands/handle-command';
import type { EventStore } from '../eventstore';
import { decideCustomer } from './decide';
import { CUSTOMER, type CustomerEvent } from './events';
import { evolveCustomer, initialCustomerState, type CustomerState } from './state';
import { customerViewFrom, type CustomerView } from './view';

export const customerAggregate: Aggregate<CustomerState, CustomerEvent> = {
  type: CUSTOMER,
  initial: initialCustomerState,
  evolve: evolveCustomer,
};

export type CustomerResult = Omit<CommandOutcome<CustomerState>, 'state' | 'stream'> & { customer: CustomerView };

export type CustomerCommands = ReturnType<typeof customerCommands>;

export function customerCommands(store: EventStore, retries: number) {
  const run = async (command: Command<CustomerState, CustomerEvent>): Promise<CustomerResult> => {
    const { state: _state, stream, ...outcome } = await handleCommand(store, command, retries);
    return { ...outcome, customer: customerViewFrom(stream)! };
  };
  return {
    register(input: { name: string; email: string }, meta: CommandMeta) {
      return run({
        aggregate: customerAggregate,
        aggregateId: randomUUID(),
        commandType: 'RegisterCustomer',
        input,
        creates: true,
        decide: (state) => decideCustomer({ type: 'RegisterCustomer', ...input }, state),
        meta,
      });
    },
    deactivate(
      input: { customerId: string; reason?: string | null },
      expectedVersion: number | null | undefined,
      meta: CommandMeta,
    ) {
      return run({
        aggregate: customerAggregate,
        aggregateId: input.customerId,
        commandType: 'DeactivateCustomer',
        input: { ...input, expectedVersion },
        creates: false,
        expectedVersion,
        decide: (state) => decideCustomer({ type: 'DeactivateCustomer', reason: input.reason ?? undefined }, state),
        meta,
      });
    },
  };
}
