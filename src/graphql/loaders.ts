import DataLoader from 'dataloader';
import type { CustomerRecord } from '../customers/projector';
import { findCustomersByIds } from '../customers/queries';
import type { PrismaClient } from '../db/prisma';
import type { OrderRecord } from '../orders/projector';
import { findOrdersByIds } from '../orders/queries';

function byId<T extends { id: string }>(load: (ids: readonly string[]) => Promise<T[]>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const found = new Map((await load(ids)).map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Per-request batching: a page of orders with their customers costs one query for all the customers. */
export function createLoaders(prisma: PrismaClient) {
  return {
    order: byId<OrderRecord>((ids) => findOrdersByIds(prisma, ids)),
    customer: byId<CustomerRecord>((ids) => findCustomersByIds(prisma, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
