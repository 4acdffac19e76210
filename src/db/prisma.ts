import { PrismaPg } from '@prisma/adapter-pg';
import type { Pool } from 'pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/**
 * Prisma is the one client of the service's tables: its models where they express the statement (the query
 * tables' reads, checkpoints, snapshots, idempotency records), and raw SQL through `$queryRaw` on the same pool for
 * what they cannot (the xid8 position and the one-statement append, set-based upserts).
 *
 * Raw rather than TypedSQL (`prisma/sql/*.sql` + `$queryRawTyped`): TypedSQL's generator asks Prisma's native
 * schema engine to describe each query against a live database, and that engine is a binary download these
 * offline machines cannot make (`prisma generate --sql` stops at the engine). So each raw statement declares its
 * row type beside its SQL, and the integration tests run every one of them against the real schema.
 *
 * Three things stay on node-postgres (`pg`), each because Prisma has no equivalent:
 * - LISTEN and NOTIFY (eventstore/wakeups.ts): Prisma has no notification API, and a listener needs a session of
 *   its own;
 * - session advisory locks (log/leadership.ts): a lock lives as long as one session, and Prisma's pool
 *   gives no session affinity;
 * - the projectors' batch transactions (log/commit.ts and the projector statements of each
 *   read-model module): they run pipelined, BEGIN, the checkpoint move and the projector's statements on the wire
 *   together, while a Prisma interactive transaction sends each statement only after the previous one's answer
 *   (BEGIN, each statement and COMMIT: one round trip each).
 * The gap-safe log read (eventstore/log-reader.ts) is on `pg` because it measured faster there (the figure is beside
 * it). The migration runner and the embedded database's bootstrap use `pg` too: they run before the schema, or the
 * database, exists, and a migration file is many statements in one simple-protocol query.
 */
export function createPrisma(pool: Pool, onQuery?: (sql: string) => void): PrismaClient {
  const names = new Map<string, string>();
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool, {
      statementNameGenerator: ({ sql }) => {
        let name = names.get(sql);
        if (name === undefined && names.size < MAX_PREPARED) names.set(sql, (name = `p${names.size}`));
        return name as string;
      },
    }),
    log: onQuery ? [{ emit: 'event', level: 'query' }] : [],
  });
  if (onQuery) {
    (prisma as unknown as { $on(event: 'query', fn: (e: { query: string }) => void): void }).$on('query', (e) =>
      onQuery(e.query),
    );
  }
  return prisma;
}

const MAX_PREPARED = 500;

/** The client, or the client inside an interactive transaction: what every Prisma statement of the store runs on. */
export type Db = PrismaClient | Prisma.TransactionClient;

export type { PrismaClient };
