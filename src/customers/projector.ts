import type { StoredEvent } from '../eventstore/types';
import { decodeOrderEvent } from '../orders/events';
import { readModel, type Projector, type ProjectionTx, type ReadModelChange } from '../projections/types';
import { decodeCustomerEvent } from './events';
import { evolveCustomer, type CustomerState } from './state';
import { Decimal } from '../shared/money';

export const CUSTOMER_PROJECTOR_EVENT_TYPES = [
  'CustomerRegistered',
  'CustomerDeactivated',
  'OrderPlaced',
  'OrderPaid',
  'OrderCancelled',
] as const;

/** A customer as the query table holds it: the customer's state plus what the customer's orders add. */
export type CustomerRecord = CustomerState & { orderCount: number; lifetimeTotal: string };

type CustomerRow = {
  id: string;
  name: string;
  email: string;
  active: boolean;
  deactivation_reason: string | null;
  order_count: number;
  lifetime_total: string;
  version: number;
  registered_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
};

type OrderMemo = { orderId: string; customerId: string; orderVersion: number; paidAmount: string };

export function toCustomerRecord(r: CustomerRow): CustomerRecord {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    active: r.active,
    deactivationReason: r.deactivation_reason,
    orderCount: r.order_count,
    lifetimeTotal: r.lifetime_total,
    version: r.version,
    registeredAt: r.registered_at,
    updatedAt: r.updated_at,
    deactivatedAt: r.deactivated_at,
  };
}

const CUSTOMER_COLUMNS = `id text, name text, email text, active boolean, deactivation_reason text, order_count int,
  lifetime_total numeric, version int, registered_at timestamptz, updated_at timestamptz, deactivated_at timestamptz`;

const money = (d: string | InstanceType<typeof Decimal>) => new Decimal(d).toFixed(2);

/**
 * Customers with their order count and lifetime total (paid, less refunds of cancelled paid orders). Order events
 * are attributed through the projector's own memo of each order (customer_orders), and an order event at or below
 * the memo's version is skipped, so re-applying changes nothing.
 */
/** The customers query table's rows, as the projector reports them to read-your-writes. */
export const CUSTOMER_MODEL = readModel<CustomerRecord>('Customer');

async function apply(events: readonly StoredEvent[], tx: ProjectionTx): Promise<ReadModelChange<CustomerRecord>[]> {
  const customersTable = tx.table('customers');
  const memoTable = tx.table('customer_orders');
  const orderIds = [...new Set(events.filter((e) => e.aggregateType === 'Order').map((e) => e.aggregateId))];
  const memos = new Map<string, OrderMemo>();
  if (orderIds.length > 0) {
    const { rows } = await tx.client.query<{
      order_id: string;
      customer_id: string;
      order_version: number;
      paid_amount: string;
    }>({
      name: `customers-memos:${memoTable}`,
      text: `SELECT order_id, customer_id, order_version, paid_amount::text AS paid_amount FROM "${memoTable}"
             WHERE order_id = ANY($1)`,
      values: [orderIds],
    });
    for (const r of rows) {
      memos.set(r.order_id, {
        orderId: r.order_id,
        customerId: r.customer_id,
        orderVersion: r.order_version,
        paidAmount: r.paid_amount,
      });
    }
  }
  const customerIds = new Set<string>();
  for (const e of events) {
    if (e.aggregateType === 'Customer') customerIds.add(e.aggregateId);
    else if (e.eventType === 'OrderPlaced') {
      const placed = decodeOrderEvent(e);
      if (placed.type === 'OrderPlaced') customerIds.add(placed.data.customerId);
    }
  }
  for (const memo of memos.values()) customerIds.add(memo.customerId);
  const { rows } = await tx.client.query<CustomerRow>({
    name: `customers-load:${customersTable}`,
    text: `SELECT id, name, email, active, deactivation_reason, order_count, lifetime_total::text AS lifetime_total,
             version, registered_at, updated_at, deactivated_at FROM "${customersTable}" WHERE id = ANY($1)`,
    values: [[...customerIds]],
  });
  const customers = new Map(rows.map((r) => [r.id, toCustomerRecord(r)]));
  const changedCustomers = new Set<string>();
  const changedMemos = new Set<string>();

  for (const event of events) {
    if (event.aggregateType === 'Customer') {
      const current = customers.get(event.aggregateId);
      if (current && event.version <= current.version) continue;
      const view = evolveCustomer(current ?? null, decodeCustomerEvent(event));
      if (!view) continue;
      customers.set(event.aggregateId, {
        ...view,
        orderCount: current?.orderCount ?? 0,
        lifetimeTotal: current?.lifetimeTotal ?? '0.00',
      });
      changedCustomers.add(event.aggregateId);
      continue;
    }
    const memo = memos.get(event.aggregateId);
    const order = decodeOrderEvent(event);
    if (order.type === 'OrderPlaced') {
      if (memo) continue;
      const customerId = order.data.customerId;
      memos.set(event.aggregateId, {
        orderId: event.aggregateId,
        customerId,
        orderVersion: event.version,
        paidAmount: '0.00',
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
    const customer = customers.get(memo.customerId);
    let total = new Decimal(customer?.lifetimeTotal ?? 0);
    if (order.type === 'OrderPaid') {
      const amount = order.data.amount;
      total = total.plus(amount);
      memos.set(memo.orderId, { ...memo, orderVersion: event.version, paidAmount: money(amount) });
    } else {
      // OrderCancelled: a paid order's amount is refunded.
      total = total.minus(memo.paidAmount);
      memos.set(memo.orderId, { ...memo, orderVersion: event.version, paidAmount: '0.00' });
    }
    changedMemos.add(memo.orderId);
    if (customer) {
      customers.set(memo.customerId, { ...customer, lifetimeTotal: money(total) });
      changedCustomers.add(memo.customerId);
    }
  }

  // The writes are issued together and awaited together: one round trip on the batch's pipelined connection.
  const writes: Promise<unknown>[] = [];
  if (changedMemos.size > 0) {
    writes.push(
      tx.client.query({
        name: `customers-memos-upsert:${memoTable}`,
        text: `INSERT INTO "${memoTable}" SELECT * FROM jsonb_to_recordset($1::jsonb)
               AS r(order_id text, customer_id text, order_version int, paid_amount numeric)
             ON CONFLICT (order_id) DO UPDATE SET order_version = EXCLUDED.order_version, paid_amount = EXCLUDED.paid_amount`,
        values: [
          JSON.stringify(
            [...changedMemos].map((id) => {
              const m = memos.get(id)!;
              return {
                order_id: m.orderId,
                customer_id: m.customerId,
                order_version: m.orderVersion,
                paid_amount: m.paidAmount,
              };
            }),
          ),
        ],
      }),
    );
  }
  const changed = [...changedCustomers].map((id) => customers.get(id)!);
  if (changed.length > 0) {
    writes.push(
      tx.client.query({
        name: `customers-upsert:${customersTable}`,
        text: `INSERT INTO "${customersTable}" SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${CUSTOMER_COLUMNS})
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, active = EXCLUDED.active,
               deactivation_reason = EXCLUDED.deactivation_reason, order_count = EXCLUDED.order_count,
               lifetime_total = EXCLUDED.lifetime_total, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
               deactivated_at = EXCLUDED.deactivated_at`,
        values: [
          JSON.stringify(
            changed.map((c) => ({
              id: c.id,
              name: c.name,
              email: c.email,
              active: c.active,
              deactivation_reason: c.deactivationReason,
              order_count: c.orderCount,
              lifetime_total: c.lifetimeTotal,
              version: c.version,
              registered_at: c.registeredAt,
              updated_at: c.updatedAt,
              deactivated_at: c.deactivatedAt,
            })),
          ),
        ],
      }),
    );
  }
  await Promise.all(writes);
  return changed.map((row) => ({ model: CUSTOMER_MODEL, id: row.id, row }));
}

export const customersProjector: Projector = {
  name: 'customers',
  version: 1,
  eventTypes: CUSTOMER_PROJECTOR_EVENT_TYPES,
  tables: ['customers', 'customer_orders'],
  apply,
};
