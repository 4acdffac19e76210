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
  /** ISO 4217: the currency of every amount of the order. */
  currency: string;
  cancellationReason: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  paidAt: Date | null;
  shippedAt: Date | null;
  cancelledAt: Date | null;
};

type Envelope = Pick<StoredEvent, 'aggregateId' | 'version' | 'timestamp' | 'eventType' | 'payload'>;

/**
 * One step of the view fold: the view after this envelope (null while the order does not exist). The view carries
 * the whole domain state, so the step needs nothing else: projectors fold query-table rows with it, and the command
 * side folds the view it snapshots with it.
 */
export function applyOrderEnvelope(view: OrderView | null, envelope: Envelope): OrderView | null {
  const event = { type: envelope.eventType, data: envelope.payload } as OrderEvent;
  const state = evolveOrder(stateOf(view), event);
  if (!state.exists) return view;
  const at = envelope.timestamp;
  return {
    id: envelope.aggregateId,
    customerId: state.customerId,
    status: state.status,
    items: state.items,
    itemCount: state.items.reduce((n, i) => n + i.quantity, 0),
    totalAmount: state.totalAmount,
    currency: state.currency,
    cancellationReason: state.cancellationReason ?? null,
    version: envelope.version,
    createdAt: view?.createdAt ?? at,
    updatedAt: at,
    paidAt: event.type === 'OrderPaid' ? at : (view?.paidAt ?? null),
    shippedAt: event.type === 'OrderShipped' ? at : (view?.shippedAt ?? null),
    cancelledAt: event.type === 'OrderCancelled' ? at : (view?.cancelledAt ?? null),
  };
}

/** The domain state a view shows (every field of it: add a field to OrderState, add it to the view). */
function stateOf(view: OrderView | null): OrderState {
  if (!view) return initialOrderState;
  const state: OrderState = {
    exists: true,
    customerId: view.customerId,
    status: view.status,
    items: view.items,
    totalAmount: view.totalAmount,
    currency: view.currency,
  };
  return view.cancellationReason === null ? state : { ...state, cancellationReason: view.cancellationReason };
}

/** Folds an order's stream (in version order) into its view; null while the order does not exist. */
export function orderViewFrom(stream: readonly Envelope[]): OrderView | null {
  return stream.reduce<OrderView | null>(applyOrderEnvelope, null);
}
