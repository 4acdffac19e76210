import { randomUUID } from 'node:crypto';
import type { Aggregate } from '../commands/aggregate';
import {
  handleCommand,
  type Command,
  type CommandMeta,
  type CommandOptions,
  type CommandOutcome,
} from '../commands/handle-command';
import { customerAggregate } from '../customers/commands';
import type { EventStore } from '../eventstore';
import type { CurrencyCode } from '../shared/currencies';
import { Forbidden } from '../shared/errors';
import { requireId } from '../shared/text';
import { decideOrder, type OrderCommand, type OrderItemInput } from './decide';
import { decodeOrderEvent, ORDER, type OrderEvent } from './events';
import { evolveOrder, type OrderState } from './state';

export const orderAggregate: Aggregate<OrderState | null, OrderEvent> = {
  type: ORDER,
  // 5: the payment window's due time; 4: amounts with their currency's decimals (version 3 snapshots held two, whatever the currency); 3: the state is
  // the order as clients read it (version 2 snapshots held a domain state and a view).
  snapshotVersion: 5,
  initial: null,
  decode: decodeOrderEvent,
  ownerOf: (_orderId, state, decided) =>
    state?.customerId ?? decided.find((e) => e.type === 'OrderPlaced')?.data.customerId ?? null,
  evolve: evolveOrder,
};

/** What an order command answers: its outcome, with the order as the command left it as `state`. */
export type OrderOutcome = CommandOutcome<OrderState | null>;

export type OrderCommands = ReturnType<typeof orderCommands>;

/** Commands on an existing order: the id, optimistic concurrency, and the decider command. */
type OnOrder = { orderId: string; expectedVersion?: number | null };

export function orderCommands(store: EventStore, options: CommandOptions) {
  const run = (command: Command<OrderState | null, OrderEvent>): Promise<OrderOutcome> =>
    handleCommand(store, command, options);
  const onOrder = (target: OnOrder, decision: Exclude<OrderCommand, { type: 'PlaceOrder' }>, meta: CommandMeta) =>
    run({
      aggregate: orderAggregate,
      aggregateId: target.orderId,
      commandType: decision.type,
      input: { ...target, ...decision },
      creates: false,
      idField: 'orderId',
      expectedVersion: target.expectedVersion,
      // Someone else's order is, to a customer, no order at all: the same answer a missing one gets.
      admits: meta.owner === undefined ? undefined : (state) => state?.customerId === meta.owner,
      decide: (state) => decideOrder(decision, state, options.limits),
      meta,
    });

  return {
    place(input: { customerId: string; items: OrderItemInput[]; currency?: CurrencyCode | null }, meta: CommandMeta) {
      requireId(input.customerId, 'customerId', options.limits.idLength);
      if (meta.owner !== undefined && input.customerId !== meta.owner) {
        throw new Forbidden('A customer places orders for themselves only: customerId must be your own');
      }
      return run({
        aggregate: orderAggregate,
        aggregateId: randomUUID(),
        commandType: 'PlaceOrder',
        input,
        creates: true,
        decide: async (state, others) => {
          // Read from the customer's stream, not a query table: the write side decides on the log alone. The order
          // is appended only if the customer's stream is still as read, so a deactivation committed meanwhile is
          // seen by the retry, which refuses the order.
          const customer = await others.load(customerAggregate, input.customerId);
          return decideOrder(
            {
              type: 'PlaceOrder',
              customerId: input.customerId,
              customer,
              items: input.items,
              currency: input.currency ?? options.defaultCurrency,
              paymentWindowMs: options.paymentWindowMs,
            },
            state,
            options.limits,
          );
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
    expirePayment: (target: OnOrder, meta: CommandMeta) => onOrder(target, { type: 'ExpirePayment' }, meta),
  };
}
