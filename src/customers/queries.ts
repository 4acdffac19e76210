import type { PrismaClient } from '../db/prisma';
import type { Customer } from '../generated/prisma/client';
import type { CustomerRecord } from './projector';

export function fromCustomerModel(c: Customer): CustomerRecord {
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    active: c.active,
    deactivationReason: c.deactivationReason,
    orderCount: c.orderCount,
    lifetimeTotal: c.lifetimeTotal.toFixed(2),
    version: c.version,
    registeredAt: c.registeredAt,
    updatedAt: c.updatedAt,
    deactivatedAt: c.deactivatedAt,
  };
}

export async function findCustomersByIds(prisma: PrismaClient, ids: readonly string[]): Promise<CustomerRecord[]> {
  const rows = await prisma.customer.findMany({ where: { id: { in: [...ids] } } });
  return rows.map(fromCustomerModel);
}
