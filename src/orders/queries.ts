import type { PrismaClient } from '../db/prisma';
import type { Order } from '../generated/prisma/client';
import type { OrderItem } from './events';
import type { OrderRecord } from './projector';
import { ORDER_STATUSES, type OrderStatus } from './state';

export function fromOrderModel(o: Order): OrderRecord {
  return {
    id: o.id,
    customerId: o.customerId,
    status: o.status as OrderStatus,
    items: o.items as OrderItem[],
    itemCount: o.itemCount,
    totalAmount: o.totalAmount.toFixed(2),
    currency: o.currency,
    cancellationReason: o.cancellationReason,
    version: o.version,
    placedPosition: o.placedPosition,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    paidAt: o.paidAt,
    shippedAt: o.shippedAt,
    cancelledAt: o.cancelledAt,
  };
}

export async function findOrdersByIds(prisma: PrismaClient, ids: readonly string[]): Promise<OrderRecord[]> {
  const rows = await prisma.order.findMany({ where: { id: { in: [...ids] } } });
  return rows.map(fromOrderModel);
}

export type OrderListFilter = { customerId?: string | null; status?: OrderStatus | null };

/** Newest first, keyset-paginated on the OrderPlaced position (unique, so pages never overlap or skip). */
export async function listOrders(
  prisma: PrismaClient,
  filter: OrderListFilter,
  first: number,
  before?: bigint,
): Promise<{ orders: OrderRecord[]; hasNextPage: boolean }> {
  const rows = await prisma.order.findMany({
    where: {
      customerId: filter.customerId ?? undefined,
      status: filter.status ?? undefined,
      placedPosition: before === undefined ? undefined : { lt: before },
    },
    orderBy: { placedPosition: 'desc' },
    take: first + 1,
  });
  return { orders: rows.slice(0, first).map(fromOrderModel), hasNextPage: rows.length > first };
}

/** Every status, in lifecycle order, with 0 where no order is in it (the table keeps no rows for zero). */
export async function orderStatusCounts(prisma: PrismaClient): Promise<{ status: OrderStatus; count: number }[]> {
  const rows = await prisma.orderStatusCount.findMany();
  const counts = new Map(rows.map((r) => [r.status, Number(r.count)]));
  return ORDER_STATUSES.map((status) => ({ status, count: counts.get(status) ?? 0 }));
}
