import { z } from 'zod';
import type { Deadline } from '../scheduling/types';
import { orderCommands } from './commands';
import { decodeOrderEvent } from './events';
import { paymentDueAt } from './state';

const input = z.object({ orderId: z.string() });

/** The scheduled_commands key of an order's payment window: one per order, cancelled by key. */
export const paymentWindowKey = (orderId: string) => `payment-window:${orderId}`;

/**
 * An order placed with a payment window (ORDER_PAYMENT_WINDOW, recorded in its OrderPlaced) is cancelled, reason
 * PAYMENT_WINDOW_EXPIRED, when the window closes unpaid. Paying or cancelling it first cancels the deadline; if the
 * deadline is sent before its cancellation has been seen, the order's own decision refuses it as moot.
 */
export const paymentWindow: Deadline = {
  command: 'ExpireOrderPayment',
  eventTypes: ['OrderPlaced', 'OrderPaid', 'OrderCancelled'],
  plan(event) {
    const order = decodeOrderEvent(event);
    if (order.type !== 'OrderPlaced') return { cancel: [paymentWindowKey(event.aggregateId)] };
    const { paymentWindowMs } = order.data;
    if (paymentWindowMs === undefined) return {};
    return {
      schedule: {
        key: paymentWindowKey(event.aggregateId),
        dueAt: paymentDueAt(event.timestamp, paymentWindowMs),
        input: { orderId: event.aggregateId },
      },
    };
  },
  // An order's window is recorded in its OrderPlaced: off, no order gets one to expire.
  active: (config) => config.paymentWindowMs !== undefined,
  send(raw, meta, { store, commands }) {
    const { orderId } = input.parse(raw);
    return orderCommands(store, commands).expirePayment({ orderId }, meta);
  },
};
