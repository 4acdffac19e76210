import type { Pool } from 'pg';

export type RateLimit = Readonly<{ perSecond: number; burst: number }>;

export type TokenBuckets = {
  /**
   * Takes `cost` tokens of the caller's bucket: 0 if it had them, else the milliseconds until it will have. A number
   * when this instance could tell by itself, a promise when it asked the database.
   */
  take(caller: string, cost: number): number | Promise<number>;
  stop(): void;
};

/** The share of the burst an instance takes from a caller's shared bucket at a time. */
const LEASE_SHARE = 0.1;
/** How often the rows of buckets full again are deleted (by every instance: it is one cheap statement). */
const SWEEP_MS = 60_000;

// The bucket refilled to now (never past the burst; a row stamped by a statement that started later counts as now).
const REFILLED = `LEAST($3::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.at)) * $2::float8)`;

/**
 * One statement: refill the caller's bucket, and take `ask` tokens ($5) if it holds at least `want` ($4), as many as
 * it holds up to `ask`, else none. A new caller's bucket starts full. Concurrent requests for one caller take turns
 * on its row, so no token is granted twice, whichever instance asks.
 */
const TAKE = `
INSERT INTO rate_limit_buckets AS b (caller, tokens, granted, at)
VALUES ($1, $3::float8 - LEAST($5, floor($3::float8)), LEAST($5, floor($3::float8)), now())
ON CONFLICT (caller) DO UPDATE SET
  granted = CASE WHEN ${REFILLED} >= $4 THEN LEAST($5, floor(${REFILLED})) ELSE 0 END,
  tokens = ${REFILLED} - CASE WHEN ${REFILLED} >= $4 THEN LEAST($5, floor(${REFILLED})) ELSE 0 END,
  at = GREATEST(b.at, now())
RETURNING tokens, granted`;

const SWEEP = `DELETE FROM rate_limit_buckets WHERE at < now() - make_interval(secs => $1)`;

type Lease = { tokens: number; refusedUntil: number; at: number };

/**
 * Token buckets per caller shared by every instance on the database, so that a caller spreading its mutations
 * over instances gets the documented rate in all, not once per instance. The truth is one row per caller in an
 * UNLOGGED table, but a mutation rarely asks it: an instance takes tokens a tenth of the burst at a time (a lease)
 * and spends them from memory, so at the default burst of 1000 one mutation in a hundred pays the round trip. A
 * refusal is remembered until the time it named, when the bucket cannot have refilled before: a caller hammering a
 * closed bucket costs the database nothing more. What an instance holds leased (at most a tenth of the burst per
 * caller) is lost to the others: a caller moving between instances may get a little less than its burst, never
 * more. Memory stays bounded as before: leases idle for the bucket's refill time are dropped, oldest first, and at
 * most `maxCallers` are kept.
 */
export function sharedTokenBuckets(
  pool: Pick<Pool, 'query'>,
  { perSecond, burst }: RateLimit,
  { now = () => performance.now(), maxCallers = 100_000 }: { now?: () => number; maxCallers?: number } = {},
): TokenBuckets {
  const leases = new Map<string, Lease>();
  const refillMs = (burst / perSecond) * 1000;
  const leaseSize = Math.max(1, Math.ceil(burst * LEASE_SHARE));
  const keep = (caller: string, lease: Lease) => {
    leases.delete(caller);
    leases.set(caller, lease);
    if (leases.size > maxCallers) leases.delete(leases.keys().next().value!);
  };
  const sweep = setInterval(() => {
    pool.query(SWEEP, [Math.ceil(refillMs / 1000)]).catch(() => undefined);
  }, SWEEP_MS);
  sweep.unref();
  /**
   * The lease request under way for each caller: the requests of that caller arriving meanwhile wait for it and
   * spend from what it brings, rather than each drawing a lease of its own. Unjoined, 32 requests meeting an
   * empty lease drew 32 leases at once, emptied the shared bucket, and refused callers well under their rate.
   */
  const leasing = new Map<string, Promise<unknown>>();
  const take = (caller: string, cost: number): number | Promise<number> => {
    const t = now();
    for (const [idle, lease] of leases) {
      if (t - lease.at < refillMs) break;
      leases.delete(idle);
    }
    // More commands in one operation than the burst: it passes on a full bucket rather than never.
    const need = Math.min(cost, burst);
    const held = leases.get(caller);
    if (held && held.refusedUntil > t) return Math.max(1, Math.ceil(held.refusedUntil - t));
    if (held && held.tokens >= need) {
      keep(caller, { tokens: held.tokens - need, refusedUntil: 0, at: t });
      return 0;
    }
    const under = leasing.get(caller);
    if (under) return under.then(() => take(caller, cost));
    const want = need - (held?.tokens ?? 0);
    const ask = Math.min(Math.max(want, leaseSize), Math.floor(burst));
    const lease = pool
      .query<{ tokens: number; granted: number }>(TAKE, [caller, perSecond, burst, want, ask])
      .then(({ rows: [row] }) => {
        const at = now();
        const holding = leases.get(caller)?.tokens ?? 0;
        if (row!.granted >= want) {
          keep(caller, { tokens: holding + row!.granted, refusedUntil: 0, at });
          return;
        }
        // (The epsilon keeps float noise in the refill from adding a whole millisecond.)
        const waitMs = Math.max(1, Math.ceil(((want - row!.tokens) * 1000) / perSecond - 1e-9));
        keep(caller, { tokens: holding, refusedUntil: at + waitMs, at });
      })
      .finally(() => leasing.delete(caller));
    leasing.set(
      caller,
      lease.catch(() => undefined),
    );
    // What the lease brought is spent (or its refusal answered) as any request's is.
    return lease.then(() => take(caller, cost));
  };
  return {
    take,
    stop() {
      clearInterval(sweep);
    },
  };
}
