// jose 5 rather than 6, as orderstream: 6 is ESM-only and Jest's CommonJS sandbox cannot load it.
import { SignJWT } from 'jose';
import type { Credentials } from './config';

/** Who the service is to orderstream: the `sub` of the tokens it signs, recorded as the events' metadata.userId. */
export const SUBJECT = 'fulfillment';

// Short-lived, so a leaked token is worth little; renewed a minute before it runs out, so none is sent expiring.
const LIFETIME_S = 15 * 60;
const RENEW_BEFORE_S = 60;

export type TokenSource = {
  /** A bearer token for a `staff` principal. */
  get(): Promise<string>;
  /** orderstream refused the last token (UNAUTHENTICATED): sign a fresh one next time, if this source signs. */
  invalidate(): void;
};

export function createTokenSource(credentials: Credentials, now: () => number = Date.now): TokenSource {
  if (credentials.kind === 'token') {
    // A token handed to the service is used as is; when it expires, calls fail UNAUTHENTICATED and are retried
    // (nothing is acked) until an operator gives it a new one.
    return { get: async () => credentials.token, invalidate: () => undefined };
  }
  const key = new TextEncoder().encode(credentials.secret);
  let current: { token: string; expiresAt: number } | undefined;
  return {
    async get() {
      const nowS = Math.floor(now() / 1000);
      if (!current || current.expiresAt - RENEW_BEFORE_S <= nowS) {
        const expiresAt = nowS + LIFETIME_S;
        let jwt = new SignJWT({ role: 'staff' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(SUBJECT)
          .setIssuedAt(nowS)
          .setExpirationTime(expiresAt);
        if (credentials.issuer) jwt = jwt.setIssuer(credentials.issuer);
        if (credentials.audience) jwt = jwt.setAudience(credentials.audience);
        current = { token: await jwt.sign(key), expiresAt };
      }
      return current.token;
    },
    invalidate() {
      current = undefined;
    },
  };
}
