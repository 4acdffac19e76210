import { randomUUID } from 'node:crypto';
import type { Aggregate } from '../commands/aggregate';
import {
  handleCommand,
  type Command,
  type CommandMeta,
  type CommandOptions,
  type CommandOutcome,
} from '../commands/handle-command';
import type { EventStore } from '../eventstore';
import { decideCustomer } from './decide';
import { CUSTOMER, type CustomerEvent } from './events';
import { evolveCustomer, initialCustomerState, type CustomerState } from './state';
import { applyCustomerEnvelope, type CustomerView } from './view';

/** The view rides along with the state (and in snapshots), so a result never needs the whole stream. */
export const customerAggregate: Aggregate<CustomerState, CustomerEvent, CustomerView> = {
  type: CUSTOMER,
  snapshotVersion: 1,
  initial: initialCustomerState,
  evolve: evolveCustomer,
  view: applyCustomerEnvelope,
};

export type CustomerResult = Omit<CommandOutcome<CustomerState>, 'state'> & { customer: CustomerView };

export type CustomerCommands = ReturnType<typeof customerCommands>;

export function customerCommands(store: EventStore, options: CommandOptions) {
  const run = async (command: Command<CustomerState, CustomerEvent, CustomerView>): Promise<CustomerResult> => {
    const { state: _state, view, ...outcome } = await handleCommand(store, command, options);
    return { ...outcome, customer: view! };
  };
  return {
    register(input: { name: string; email: string }, meta: CommandMeta) {
      return run({
        aggregate: customerAggregate,
        aggregateId: randomUUID(),
        commandType: 'RegisterCustomer',
        input,
        creates: true,
        decide: (state) => decideCustomer({ type: 'RegisterCustomer', ...input }, state, options.limits),
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
        idField: 'customerId',
        expectedVersion,
        decide: (state) =>
          decideCustomer({ type: 'DeactivateCustomer', reason: input.reason ?? undefined }, state, options.limits),
        meta,
      });
    },
  };
}
