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
import { CUSTOMER, decodeCustomerEvent, type CustomerEvent } from './events';
import { evolveCustomer, type CustomerState } from './state';

export const customerAggregate: Aggregate<CustomerState | null, CustomerEvent> = {
  type: CUSTOMER,
  // 2: the state is the customer as clients read it (version 1 snapshots held a domain state and a view).
  // 3: with forgottenAt.
  snapshotVersion: 3,
  initial: null,
  decode: decodeCustomerEvent,
  ownerOf: (customerId) => customerId,
  evolve: evolveCustomer,
};

/** What a customer command answers: its outcome, with the customer as the command left it as `state`. */
export type CustomerOutcome = CommandOutcome<CustomerState | null>;

export type CustomerCommands = ReturnType<typeof customerCommands>;

export function customerCommands(store: EventStore, options: CommandOptions) {
  const run = (command: Command<CustomerState | null, CustomerEvent>): Promise<CustomerOutcome> =>
    handleCommand(store, command, options);
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
    /**
     * Erases the customer's personal data: their data key is deleted first (every event sealed under it, theirs and
     * their orders', then reads its personal fields as null), then CustomerForgotten is recorded. Run again, it
     * deletes nothing more and records nothing more; one that failed after the deletion is completed by the next.
     */
    forget(input: { customerId: string }, meta: CommandMeta) {
      return run({
        aggregate: customerAggregate,
        aggregateId: input.customerId,
        commandType: 'ForgetCustomer',
        input,
        creates: false,
        idField: 'customerId',
        decide: async (state) => {
          const events = decideCustomer({ type: 'ForgetCustomer' }, state, options.limits);
          await store.forgetSubject(input.customerId);
          return events;
        },
        meta,
      });
    },
  };
}
