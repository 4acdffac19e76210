import { Kind, OperationTypeNode, type DocumentNode, type SelectionSetNode } from 'graphql';
import { RateLimited } from '../shared/errors';
import type { TokenBuckets } from '../db/rate-limit-buckets';
import type { OperationGuard } from './operation-guards';

/**
 * Mutations per caller (context.caller: the token's subject, or the peer address without one), over HTTP
 * and graphql-ws alike, as a token bucket: `burst` at once, then `perSecond`, shared by every instance on the
 * database (src/db/rate-limit-buckets.ts). Each root field of a mutation is one command and costs one token, so
 * packing commands into aliases of one operation buys nothing. Queries and subscriptions are bounded by the query
 * limits instead. Without buckets (RATE_LIMIT_MUTATIONS_PER_SECOND=0) it is off.
 */
export function rateLimitMutations(buckets: TokenBuckets | undefined): OperationGuard {
  if (!buckets) return () => {};
  const refuse = (waitMs: number) => {
    if (waitMs > 0) throw new RateLimited(waitMs);
  };
  return ({ document, operation, context }) => {
    if (operation.operation !== OperationTypeNode.MUTATION) return;
    const waitMs = buckets.take(context.caller, rootFields(document, operation.selectionSet, new Set()));
    if (typeof waitMs === 'number') return refuse(waitMs);
    return waitMs.then(refuse);
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
