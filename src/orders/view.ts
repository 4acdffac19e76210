import type { StoredEvent } from '../eventstore/types';
import type { Money } from '../shared/money';
import type { OrderEvent, OrderItem } from './events';
import { evolveOrder, initialOrderState, type OrderState, type OrderStatus } from './state';

/** An order as clients read it: the domain state plus what the envelopes add (id, version, timestamps). */
export type OrderView = {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: OrderItem[];
  itemCount: number;
  totalAmount: Money;
  cancellationReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  shippedAt: Date | null;
  cancelledAt: Date | null;
};

type Envelope = Pick<StoredEvent, 'aggregateId' | 'version' | 'timestamp' | 'eventType' | 'payload'>;

/** Folds an order's stream (in version order) into its view; null while the order does not exist. */
export function orderViewFrom(stream: readonly Envelope[]): OrderView | null {
  let state: OrderState = initialOrderState;
  let view = null as OrderView | null;
  for (const envelope of stream) {
    const event = { type: envelope.eventType, data: envelope.payload } as OrderEvent;
    state = evolveOrder(state, event);
    if (!state.exists) continue;
    const at = envelope.timestamp;
    view = {
      id: envelope.aggregateId,
      customerId: state.customerId,
      status: state.status,
      items: state.items,
      itemCount: state.items.reduce((n, i) => n + i.quantity, 0),
      totalAmount: state.totalAmount,
      cancellationReason: state.cancellationReason ?? null,
      version: envelope.version,
      createdAt: view?.createdAt ?? at,
      updatedAt: at,
      paidAt: event.type === 'OrderPaid' ? at : (view?.paidAt ?? null),
      shippedAt: event.type === 'OrderShipped' ? at : (view?.shippedAt ?? null),
      cancelledAt: event.type === 'OrderCancelled' ? at : (view?.cancelledAt ?? null),
    };
  }
  return view;
}
