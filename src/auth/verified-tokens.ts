import type { Principal } from './principal';

/**
 * Tokens already verified, with the principal each stands for: a client sends the same bearer token on every
 * request, and checking its signature and claims again each time was the largest single item of a request's CPU
 * (docs/performance.md). Only successes are kept; a bad token is checked every time it comes.
 *
 * Bounds: `capacity` tokens (oldest dropped first; 10,000 by default, a few MB at most, more than the distinct callers
 * of a busy minute), each for at most `maxAgeMs` after it was verified and never past its `exp`: a token is not
 * accepted from here a moment longer than a fresh check would accept it. `key` is what the token was verified with;
 * `sameKey` says whether that still holds (see createAuthenticator: with a JWKS, whether jose still resolves the
 * token's key to the same key object, so that a key dropped from the set in a rotation ends its tokens' entries).
 * No timer: an expired entry is found and dropped when its token comes again, or pushed out by newer ones.
 */
export type VerifiedTokens<K> = {
  get(token: string): { principal: Principal; key: K } | undefined;
  set(token: string, principal: Principal, key: K): void;
  readonly size: number;
};

export function verifiedTokens<K>({
  capacity = 10_000,
  maxAgeMs = 5 * 60_000,
  now = () => Date.now(),
}: { capacity?: number; maxAgeMs?: number; now?: () => number } = {}): VerifiedTokens<K> {
  const entries = new Map<string, { principal: Principal; key: K; until: number }>();
  return {
    get(token) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (now() < entry.until) return entry;
      entries.delete(token);
      return undefined;
    },
    set(token, principal, key) {
      const until = Math.min(now() + maxAgeMs, principal.expiresAt ?? Infinity);
      if (until <= now()) return;
      entries.delete(token);
      entries.set(token, { principal, key, until });
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
    get size() {
      return entries.size;
    },
  };
}
