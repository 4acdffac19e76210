import { randomUUID } from 'node:crypto';
import { fold, type Aggregate } from '../commands/aggregate';
import { handleCommand, type Command, type CommandMeta, type CommandOutcome } from '../commands/handle-command';
import { customerAggregate } from '../customers/commands';
import type { EventStore } from '../eventstore';
import { decideOrder, type OrderCommand, type OrderItemInput } from './decide';
import { ORDER, type OrderEvent } from './events';
import { evolveOrder, initialOrderState, type OrderState } from './state';
import { orderViewFrom, type OrderView } from './view';

export const orderAggregate: Aggregate<OrderState, OrderEvent> = {
  type: ORDER,
  initial: initialOrderState,
  evolve: evolveOrder,
};

export type OrderResult = Omit<CommandOutcome<OrderState>, 'state' | 'stream'> & { order: OrderView };

export type OrderCommands = ReturnType<typeof orderCommands>;

/** Commands on an existing order: the id, optimistic concurrency, and the decider command. */
type OnOrder = { orderId: string; expectedVersion?: number | null };

export function orderCommands(store: EventStore, retries: number) {
  const run = async (command: Command<OrderState, OrderEvent>): Promise<OrderResult> => {
    const { state: _state, stream, ...outcome } = await handleCommand(store, command, retries);
    return { ...outcome, order: orderViewFrom(stream)! };
  };
  const onOrder = (target: OnOrder, decision: Exclude<OrderCommand, { type: 'PlaceOrder' }>, meta: CommandMeta) =>
    run({
      aggregate: orderAggregate,
      aggregateId: target.orderId,
      commandType: decision.type,
      input: { ...target, ...decision },
      creates: false,
      expectedVersion: target.expectedVersion,
      decide: (state) => decideOrder(decision, state),
      meta,
    });

  return {
    place(input: { customerId: string; items: OrderItemInput[] }, meta: CommandMeta) {
      return run({
        aggregate: orderAggregate,
        aggregateId: randomUUID(),
        commandType: 'PlaceOrder',
        input,
        creates: true,
        decide: async (state) => {
          // Read from the customer's stream, not a query table: the write side decides on the log alone.
          const customer = fold(customerAggregate, await store.readStream(input.customerId)).state;
          return decideOrder({ type: 'PlaceOrder', customerId: input.customerId, customer, items: input.items }, state);
        },
        meta,
      });
    },
    addItem: (target: OnOrder, item: OrderItemInput, meta: CommandMeta) =>
      onOrder(target, { type: 'AddItem', item }, meta),
    pay: (target: OnOrder, meta: CommandMeta) => onOrder(target, { type: 'PayOrder' }, meta),
    ship: (target: OnOrder, meta: CommandMeta) => onOrder(target, { type: 'ShipOrder' }, meta),
    cancel: (target: OnOrder, reason: string | null | undefined, meta: CommandMeta) =>
      onOrder(target, { type: 'CancelOrder', reason: reason ?? undefined }, meta),
  };
}
