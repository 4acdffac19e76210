import type { Reactor } from '../reactions/types';
import { orderCommands } from './commands';
import { ordersProjector } from './projector';
import { orderIdsOfCustomer } from './read-model';
import type { OrderStatus } from './state';

/** The reason a deactivation's cancellations carry (OrderCancelled.reason). */
export const CUSTOMER_DEACTIVATED = 'CUSTOMER_DEACTIVATED';

/** What a deactivation cancels: every order that can still be cancelled (a SHIPPED one has left). */
const OPEN: readonly OrderStatus[] = ['PLACED', 'PAID'];

/**
 * A deactivated customer's open orders are cancelled. Which ones is read from the orders table once its projector
 * has passed the deactivation, so it holds every order placed before it: one indexed read rather than a scan of
 * the log for that customer's orders, which the log has no index for. Each cancel's commandId names the order, not
 * its rank in the list: a re-run after a crash finds a shorter list (the cancelled ones are no longer open) and
 * must still give each order the id it had.
 */
export const cancelOrdersOnDeactivation: Reactor = {
  name: 'cancel-orders-on-deactivation',
  eventTypes: ['CustomerDeactivated'],
  async react(event, context) {
    await context.readModelsPassed([ordersProjector.name]);
    const orders = orderCommands(context.store, context.commands);
    for (const orderId of await orderIdsOfCustomer(context.reads, event.aggregateId, OPEN)) {
      await context.send(orderId, (meta) => orders.cancel({ orderId }, CUSTOMER_DEACTIVATED, meta));
    }
  },
};
