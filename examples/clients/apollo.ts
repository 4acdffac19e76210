import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, type Operation } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { getMainDefinition } from '@apollo/client/utilities';
import { print, type GraphQLFormattedError } from 'graphql';
import type { Client } from 'graphql-ws';
import { Observable } from 'rxjs';
import generated from '../typed-client/gql/possible-types';
import { subscribeResuming } from './resume';

/**
 * Apollo Client's link for subscriptions over graphql-ws, as its own GraphQLWsLink but resuming `events`
 * subscriptions after a reconnect from the last event delivered (./resume.ts): GraphQLWsLink re-sends the original
 * `after`, so the events since then arrive a second time.
 */
export class ResumingWsLink extends ApolloLink {
  constructor(private readonly client: Client) {
    super();
  }

  override request(operation: Operation): Observable<ApolloLink.Result> {
    return new Observable((observer) =>
      subscribeResuming<Record<string, unknown>>(
        this.client,
        { query: print(operation.query), operationName: operation.operationName, variables: operation.variables },
        {
          next: (result) => observer.next(result as ApolloLink.Result),
          complete: () => observer.complete(),
          // graphql-ws hands a subscription's own errors over as a list; a closed socket as an event or Error.
          error: (error) =>
            observer.error(
              Array.isArray(error)
                ? new CombinedGraphQLErrors({ errors: error as GraphQLFormattedError[] })
                : error instanceof Error
                  ? error
                  : new Error(`the connection closed: ${JSON.stringify(error)}`),
            ),
        },
      ),
    );
  }
}

const isSubscription = ({ query }: Operation) => {
  const definition = getMainDefinition(query);
  return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
};

/**
 * An Apollo Client 4 for orderstream: queries and mutations over HTTP with the token, subscriptions over
 * graphql-ws, and a cache told which object types each interface may be (`possibleTypes`, generated from
 * schema.graphql): without it, fragments on `Node`, `Event` or `CommandResult` come back empty from the cache.
 */
export function apolloClient(url: string, token: string, ws: Client): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.split(
      isSubscription,
      new ResumingWsLink(ws),
      new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    ),
    cache: new InMemoryCache({ possibleTypes: generated.possibleTypes }),
  });
}
