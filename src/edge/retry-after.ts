import type { ApolloServerPlugin } from '@apollo/server';
import { RateLimited } from '../shared/errors';

/**
 * A 429 over HTTP also says when to come back in the header HTTP clients and proxies read (whole seconds, rounded
 * up); `extensions.retryAfterMs` stays the precise value, and the only one graphql-ws clients get.
 */
export const retryAfterHeader: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, response }) {
        const limited = errors.map((e) => e.originalError).find((e) => e instanceof RateLimited);
        if (!limited) return;
        const ms = limited.details.retryAfterMs as number;
        response.http.headers.set('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
      },
    };
  },
};
