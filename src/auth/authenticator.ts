import fs from 'node:fs/promises';
import path from 'node:path';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
// jose 5 rather than 6: 6 is ESM-only, and Jest's CommonJS module sandbox cannot load it.
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { ZodError } from 'zod';
import { DEFAULT_MAX_TOKEN_LIFETIME_S, type AuthConfig } from '../config';
import { Unauthenticated } from '../shared/errors';
import { principalFrom, type Principal, type Role } from './principal';
import { verifiedTokens } from './verified-tokens';

/** Small clock differences between the token's issuer and this server are not an expired token. */
export const CLOCK_TOLERANCE_S = 30;

export type Authenticator = {
  /** The principal a bearer token stands for; throws Unauthenticated for a bad, expired or malformed one. */
  verify(token: string): Promise<Principal>;
  /** Signs a token with the service's own secret (development and tests); undefined with a JWKS URL. */
  mint?(claims: { sub: string; role: Role; customerId?: string; expiresIn?: string }): Promise<string>;
  mode: AuthConfig['mode'];
  /** The furthest a token's `exp` may lie ahead of now, in seconds (AUTH_MAX_TOKEN_LIFETIME). */
  maxTokenLifetimeS: number;
};

const DEV_SECRET_FILE = 'auth-dev-secret';

/**
 * The development secret: made once (random, 256 bits) under the data folder and kept, so tokens printed at one
 * start still work after a restart. Only for `npm start` without AUTH_*, never in production (config refuses).
 */
export async function developmentSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, DEV_SECRET_FILE);
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // `wx`: two processes starting together keep whichever wrote first.
  await fs.writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return (await fs.readFile(file, 'utf8')).trim();
}

export async function createAuthenticator(config: AuthConfig, dataDir: string): Promise<Authenticator> {
  // `exp` required: a token that never expires would hold a graphql-ws connection open for ever, and its lifetime is
  // unbounded, which no AUTH_MAX_TOKEN_LIFETIME allows.
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ['exp'],
  };
  let check: (token: string) => Promise<{ payload: JWTPayload; key?: KeyLike | Uint8Array }>;
  // Whether a token verified earlier with `key` would still be verified with it (see verified-tokens.ts).
  let sameKey: (token: string, key: KeyLike | Uint8Array | undefined) => Promise<boolean>;
  let secret: KeyObject | undefined;
  if (config.mode === 'jwks') {
    // jose caches the key set and fetches it again when a token names a key it does not have (rotation).
    const keys = createRemoteJWKSet(new URL(config.jwksUrl));
    check = (token) => jwtVerify(token, keys, { ...options, algorithms: ['RS256', 'ES256'] });
    // Asked of jose's key set as it is now (fetched again once stale, as for any token): a key that left the set, or
    // a set fetched anew, gives another key object or none, and the token is then verified again.
    sameKey = async (token, key) => {
      try {
        return key !== undefined && (await keys(decodeProtectedHeader(token), { payload: '', signature: '' })) === key;
      } catch {
        return false;
      }
    };
  } else {
    // One key object for the process: jose would otherwise build one from the bytes on every call.
    const key = createSecretKey(
      new TextEncoder().encode(config.mode === 'secret' ? config.secret : await developmentSecret(dataDir)),
    );
    secret = key;
    // Only HS256: a token that names another algorithm (`none` included) is refused, never tried.
    check = (token) => jwtVerify(token, key, { ...options, algorithms: ['HS256'] });
    sameKey = async () => true;
  }
  const verified = verifiedTokens<KeyLike | Uint8Array | undefined>();
  const maxTokenLifetimeS = config.maxTokenLifetimeS ?? DEFAULT_MAX_TOKEN_LIFETIME_S;
  return {
    mode: config.mode,
    maxTokenLifetimeS,
    async verify(token) {
      const known = verified.get(token);
      if (known && (await sameKey(token, known.key))) return known.principal;
      try {
        const { payload, key } = await check(token);
        // Measured from now rather than from `iat`, which is optional and whatever the signer says: a token worth
        // more than this much time to whoever holds it is refused, however old it claims to be. The issuer's clock
        // may run ahead of this one by the same tolerance as for expiry.
        if (payload.exp! - Date.now() / 1000 > maxTokenLifetimeS + CLOCK_TOLERANCE_S) {
          throw new errors.JWTClaimValidationFailed('"exp" is beyond the longest lifetime allowed', payload, 'exp');
        }
        const principal = principalFrom(payload);
        verified.set(token, principal, key);
        return principal;
      } catch (error) {
        // The key set could not be fetched: the token may be fine, so this is the service's failure (logged,
        // INTERNAL_SERVER_ERROR), not the caller's.
        if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError || error instanceof ZodError)) {
          throw new Error('Could not check the token: the key set is unavailable', { cause: error });
        }
        // Which check failed (signature, expiry, issuer, a claim) is for the token's issuer, not for the caller.
        throw new Unauthenticated('The token is invalid or expired: authenticate again');
      }
    },
    mint: secret
      ? async ({ sub, role, customerId, expiresIn = '30d' }) => {
          let jwt = new SignJWT({ role, ...(customerId ? { customer_id: customerId } : {}) })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject(sub)
            .setIssuedAt()
            .setExpirationTime(expiresIn);
          if (config.issuer) jwt = jwt.setIssuer(config.issuer);
          if (config.audience) jwt = jwt.setAudience(config.audience);
          return jwt.sign(secret!);
        }
      : undefined,
  };
}
