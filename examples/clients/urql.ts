import { cacheExchange as graphcache } from '@urql/exchange-graphcache';
import {
  Client as UrqlClient,
  fetchExchange,
  subscriptionExchange,
  type Exchange,
  type ExecutionResult,
} from '@urql/core';
import { buildSchema, introspectionFromSchema } from 'graphql';
import type { Client } from 'graphql-ws';
import { subscribeResuming } from './resume';

/** urql's subscription exchange over graphql-ws, resuming `events` after a reconnect (./resume.ts). */
export function resumingSubscriptions(ws: Client): Exchange {
  return subscriptionExchange({
    forwardSubscription: (request) => ({
      subscribe: (sink) => ({
        unsubscribe: subscribeResuming(
          ws,
          { ...request, query: request.query ?? '' },
          {
            next: (result) => sink.next(result as ExecutionResult),
            error: (error) => sink.error(error),
            complete: () => sink.complete(),
          },
        ),
      }),
    }),
  });
}

/**
 * urql with its defaults (queries as GET within the URL limit, mutations as POST) and graphcache, the normalised
 * cache: given the schema (interfaces resolve to their object types) it keys objects by `id`, which every object
 * with an identity here has. Objects without an id (a connection's `pageInfo`, `Money`, `EventMetadata`, …) are
 * embedded in their parent: `keys` returning null says so, instead of a warning per type.
 */
export function urqlClient(url: string, token: string, ws: Client, schemaSdl: string): UrqlClient {
  const schema = introspectionFromSchema(buildSchema(schemaSdl));
  const keyless = schema.__schema.types
    .filter((type) => type.kind === 'OBJECT' && !type.name.startsWith('__'))
    .filter((type) => !('fields' in type && type.fields.some((field) => field.name === 'id')))
    .map((type) => [type.name, () => null] as const);
  return new UrqlClient({
    url,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [graphcache({ schema, keys: Object.fromEntries(keyless) }), fetchExchange, resumingSubscriptions(ws)],
  });
}
