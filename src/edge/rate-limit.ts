import { Kind, OperationTypeNode, type DocumentNode, type SelectionSetNode } from 'graphql';
import { RateLimited } from '../shared/errors';
import type { OperationGuard } from './operation-guards';

export type RateLimit = Readonly<{ perSecond: number; burst: number }>;

/**
 * Mutations per caller (context.caller: the token's subject, or the peer address without one), over HTTP
 * and graphql-ws alike, as a token bucket: `burst` at once, then `perSecond`. Each root field of a mutation is one
 * command and costs one token, so packing commands into aliases of one operation buys nothing. Queries and
 * subscriptions are bounded by the query limits instead. perSecond 0 turns it off.
 */
export function rateLimitMutations(limit: RateLimit): OperationGuard {
  if (limit.perSecond === 0) return () => {};
  const buckets = tokenBuckets(limit);
  return ({ document, operation, context }) => {
    if (operation.operation !== OperationTypeNode.MUTATION) return;
    const waitMs = buckets.take(context.caller, rootFields(document, operation.selectionSet, new Set()));
    if (waitMs > 0) throw new RateLimited(waitMs);
  };
}

export type TokenBuckets = {
  /** Takes `cost` tokens of the caller's bucket: 0 if it had them, else the milliseconds until it will have. */
  take(caller: string, cost: number): number;
  /** Callers remembered: those with a bucket that is not yet full again. */
  readonly size: number;
};

/**
 * Our own ~30 lines rather than rate-limiter-flexible: its in-memory limiter counts fixed windows (a burst at a
 * window's edge passes twice) and keeps a timer per key; a token bucket needs neither. Memory stays bounded
 * without a timer: buckets are kept in order of their last change, and one left alone long enough to be full
 * again says nothing a new one would not, so each call drops those from the front. `maxCallers` caps the rest,
 * should more callers than that be active within one refill time (the idlest lose what they owe).
 */
export function tokenBuckets(
  { perSecond, burst }: RateLimit,
  { now = () => performance.now(), maxCallers = 100_000 }: { now?: () => number; maxCallers?: number } = {},
): TokenBuckets {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refillMs = (burst / perSecond) * 1000;
  return {
    take(caller, cost) {
      const t = now();
      for (const [idle, bucket] of buckets) {
        if (t - bucket.at < refillMs) break;
        buckets.delete(idle);
      }
      const bucket = buckets.get(caller);
      const tokens = bucket ? Math.min(burst, bucket.tokens + ((t - bucket.at) * perSecond) / 1000) : burst;
      // More commands in one operation than the burst: it passes on a full bucket rather than never.
      const need = Math.min(cost, burst);
      // A refusal leaves the bucket as it was (and where it was in the order): the refused command cost nothing.
      // (The epsilon keeps float noise in the refill from adding a whole millisecond.)
      if (tokens < need) return Math.max(1, Math.ceil(((need - tokens) * 1000) / perSecond - 1e-9));
      buckets.delete(caller);
      buckets.set(caller, { tokens: tokens - need, at: t });
      if (buckets.size > maxCallers) buckets.delete(buckets.keys().next().value!);
      return 0;
    },
    get size() {
      return buckets.size;
    },
  };
}

/** Root fields of the operation, through fragments (validation has already refused cycles; `seen` is a backstop). */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFields(document, selection.selectionSet, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) count += rootFields(document, fragment.selectionSet, seen);
    }
  }
  return count;
}
