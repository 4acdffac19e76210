import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

/**
 * The Prisma client the read side queries the query tables with, on the app's own pool. `onQuery` sees every
 * SQL statement it sends (the tests count them to prove nested loads are batched).
 */
export function createPrisma(pool: Pool, onQuery?: () => void): PrismaClient {
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    log: onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (onQuery) (prisma as unknown as { $on(event: 'query', fn: () => void): void }).$on('query', onQuery);
  return prisma;
}

export type { PrismaClient };
