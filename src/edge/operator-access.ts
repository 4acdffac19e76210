import type { Authenticator } from '../auth/authenticator';
import { Unauthenticated } from '../shared/errors';
import { bearer } from './authentication';
import { sameSecret } from './secrets';

/** Who sent an Authorization header, as far as the operators' endpoints (/metrics, /readyz's details) care. */
export type OperatorStanding = 'operator' | 'unauthenticated' | 'forbidden';

/**
 * The holder of METRICS_TOKEN (a scraper) or of an admin's JWT is an operator; another valid JWT is not. No header,
 * a malformed one or a bad token are all 'unauthenticated'.
 */
export function operatorAccess(
  auth: Authenticator,
  metricsToken: string | undefined,
): (authorization: string | undefined) => Promise<OperatorStanding> {
  return async (authorization) => {
    const token = bearer(authorization);
    if (!token) return 'unauthenticated';
    if (metricsToken !== undefined && sameSecret(metricsToken, token)) return 'operator';
    try {
      return (await auth.verify(token)).role === 'admin' ? 'operator' : 'forbidden';
    } catch (error) {
      if (error instanceof Unauthenticated) return 'unauthenticated';
      throw error;
    }
  };
}
