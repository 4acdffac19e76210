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

/** Folds a customer's stream (in version order) into its view; null while the customer does not exist. */
export function customerViewFrom(stream: readonly Envelope[]): CustomerView | null {
  let state: CustomerState = initialCustomerState;
  let view = null as CustomerView | null;
  for (const envelope of stream) {
    const event = { type: envelope.eventType, data: envelope.payload } as CustomerEvent;
    state = evolveCustomer(state, event);
    if (!state.exists) continue;
    const at = envelope.timestamp;
    view = {
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
  return view;
}
