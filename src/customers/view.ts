import type { StoredEvent } from '../eventstore/types';
import type { CustomerEvent } from './events';
import { evolveCustomer, initialCustomerState, type CustomerState } from './state';

export type CustomerView = {
  id: string;
  name: string;
  email: string;
  active: boolean;
  deactivationReason: string | null;
  version: number;
  registeredAt: Date;
  updatedAt: Date;
  deactivatedAt: Date | null;
};

type Envelope = Pick<StoredEvent, 'aggregateId' | 'version' | 'timestamp' | 'eventType' | 'payload'>;

/**
 * One step of the view fold: the view after this envelope (null while the customer does not exist). The view
 * carries the whole domain state, so the step needs nothing else: projectors fold query-table rows with it, and the
 * command side folds the view it snapshots with it.
 */
export function applyCustomerEnvelope(view: CustomerView | null, envelope: Envelope): CustomerView | null {
  const event = { type: envelope.eventType, data: envelope.payload } as CustomerEvent;
  const state = evolveCustomer(stateOf(view), event);
  if (!state.exists) return view;
  const at = envelope.timestamp;
  return {
    id: envelope.aggregateId,
    name: state.name,
    email: state.email,
    active: state.active,
    deactivationReason: state.deactivationReason ?? null,
    version: envelope.version,
    registeredAt: view?.registeredAt ?? at,
    updatedAt: at,
    deactivatedAt: event.type === 'CustomerDeactivated' ? at : (view?.deactivatedAt ?? null),
  };
}

/** The domain state a view shows (every field of it: add a field to CustomerState, add it to the view). */
function stateOf(view: CustomerView | null): CustomerState {
  if (!view) return initialCustomerState;
  const state: CustomerState = { exists: true, name: view.name, email: view.email, active: view.active };
  return view.deactivationReason === null ? state : { ...state, deactivationReason: view.deactivationReason };
}

/** Folds a customer's stream (in version order) into its view; null while the customer does not exist. */
export function customerViewFrom(stream: readonly Envelope[]): CustomerView | null {
  return stream.reduce<CustomerView | null>(applyCustomerEnvelope, null);
}
