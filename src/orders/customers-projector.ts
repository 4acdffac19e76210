import type { StoredEvent } from '../eventstore/types';
import { decodeOrderEvent } from './events';
import type { ProjectedBatch, Projector, ProjectionTx } from '../projections/types';
import { atScale, Decimal, type Amount } from '../shared/money';
import {
  CUSTOMER_TABLES,
  loadCustomersOf,
  loadOrderMemos,
  writeCustomers,
  type OrderMemo,
  type Totals,
} from '../customers/read-model';
import { decodeCustomerEvent } from '../customers/events';
import { evolveCustomer } from '../customers/state';

export const CUSTOMER_PROJECTOR_EVENT_TYPES = [
  'CustomerRegistered',
  'CustomerDeactivated',
  'CustomerForgotten',
  'OrderPlaced',
  'OrderPaid',
  'OrderCancelled',
] as const;

/** `totals` with `amount` added in `currency` (a refund is a negative amount), with the currency's decimals. */
function adding(totals: Totals, currency: string, amount: Exact): Totals {
  return { ...totals, [currency]: atScale(amount.plus(totals[currency] ?? 0), currency) };
}

type Exact = InstanceType<typeof Decimal>;

const NOTHING_PAID: Amount = '0';

type Decoded = { customer: ReturnType<typeof decodeCustomerEvent> } | { order: ReturnType<typeof decodeOrderEvent> };

/**
 * Customers with their order count and lifetime totals per currency (paid, less refunds of cancelled paid
 * orders). Order events are attributed through the projector's own memo of each order (customer_orders), and an
 * order event at or below the memo's version is skipped, so re-applying changes nothing.
 */
async function apply(events: readonly StoredEvent[], tx: ProjectionTx): Promise<ProjectedBatch> {
  // Each event decoded once, by its own slice's decoder.
  const decoded: Decoded[] = events.map((e) =>
    e.aggregateType === 'Customer' ? { customer: decodeCustomerEvent(e) } : { order: decodeOrderEvent(e) },
  );
  const orderIds = [...new Set(events.filter((e) => e.aggregateType === 'Order').map((e) => e.aggregateId))];
  const customerIds = new Set<string>();
  for (const d of decoded) {
    if ('customer' in d) customerIds.add(d.customer.aggregateId);
    else if (d.order.type === 'OrderPlaced') customerIds.add(d.order.data.customerId);
  }
  // Issued together: one round trip (the customers of the memos are found in SQL, not after the memos come back).
  const [memos, customers] = await Promise.all([
    loadOrderMemos(tx, orderIds),
    loadCustomersOf(tx, [...customerIds], orderIds),
  ]);
  const changedCustomers = new Set<string>();
  const changedMemos = new Set<string>();

  for (const d of decoded) {
    if ('customer' in d) {
      const event = d.customer;
      const current = customers.get(event.aggregateId);
      if (current && event.version <= current.version) continue;
      const view = evolveCustomer(current ?? null, event);
      if (!view) continue;
      customers.set(event.aggregateId, {
        ...view,
        orderCount: current?.orderCount ?? 0,
        lifetimeTotals: current?.lifetimeTotals ?? {},
      });
      changedCustomers.add(event.aggregateId);
      continue;
    }
    const event = d.order;
    const memo = memos.get(event.aggregateId);
    if (event.type === 'OrderPlaced') {
      if (memo) continue;
      const { customerId, currency } = event.data;
      memos.set(event.aggregateId, {
        orderId: event.aggregateId,
        customerId,
        orderVersion: event.version,
        currency,
        paidAmount: NOTHING_PAID,
      });
      changedMemos.add(event.aggregateId);
      const customer = customers.get(customerId);
      if (customer) {
        customers.set(customerId, { ...customer, orderCount: customer.orderCount + 1 });
        changedCustomers.add(customerId);
      }
      continue;
    }
    if (!memo || event.version <= memo.orderVersion) continue;
    let next: OrderMemo;
    let moved: Exact;
    if (event.type === 'OrderPaid') {
      const { amount } = event.data;
      next = { ...memo, orderVersion: event.version, paidAmount: atScale(amount, memo.currency) };
      moved = new Decimal(amount);
    } else if (event.type === 'OrderCancelled') {
      // A paid order's amount is refunded.
      next = { ...memo, orderVersion: event.version, paidAmount: NOTHING_PAID };
      moved = new Decimal(memo.paidAmount).negated();
    } else {
      continue;
    }
    memos.set(memo.orderId, next);
    changedMemos.add(memo.orderId);
    const customer = customers.get(memo.customerId);
    // Nothing paid, nothing refunded: a cancelled unpaid order leaves the totals as they were.
    if (customer && !moved.isZero()) {
      customers.set(memo.customerId, {
        ...customer,
        lifetimeTotals: adding(customer.lifetimeTotals, memo.currency, moved),
      });
      changedCustomers.add(memo.customerId);
    }
  }

  const changed = [...changedCustomers].map((id) => customers.get(id)!);
  const memoRows = [...changedMemos].map((id) => memos.get(id)!);
  return {
    // No subscription follows the customers table (the customers slice registers no live read model), so the
    // runner is handed no rows to keep for one: they would only take the places of order rows that are pushed.
    changes: [],
    write: (tx) => writeCustomers(tx, changed, memoRows),
  };
}

export const customersProjector: Projector = {
  name: 'customers',
  // 2: lifetime totals per currency (and the order memo keeps the order's currency).
  version: 2,
  eventTypes: CUSTOMER_PROJECTOR_EVENT_TYPES,
  tables: Object.values(CUSTOMER_TABLES),
  apply,
};
