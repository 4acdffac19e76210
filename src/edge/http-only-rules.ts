import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';
import type { Logger } from 'pino';
import { logRefusal, type Refusal } from './http-errors';

/**
 * What only the HTTP transport refuses, done inside Apollo Server: subscriptions (served over graphql-ws), and the
 * requests Apollo itself turns away (CSRF prevention, batches, a missing body, another method). Each gets the one
 * log line every refused request gets (http-errors.ts).
 */
export function httpOnlyRules(logger: Logger, path: string): ApolloServerPlugin {
  const subscriptionOverHttp: Refusal = {
    status: 400,
    code: 'BAD_REQUEST',
    message:
      'Subscriptions are served over WebSocket, not HTTP: connect a graphql-ws client (protocol graphql-transport-ws) ' +
      `to this same URL (ws://…${path} or wss://…${path}).`,
  };
  return {
    async invalidRequestWasReceived({ error }) {
      const http = (error as GraphQLError).extensions?.http as { status?: number } | undefined;
      const refusal: Refusal = { status: http?.status ?? 400, code: 'BAD_REQUEST', message: error.message };
      logRefusal(logger, refusal, { url: path }, { reason: error.message.slice(0, 200) });
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          // graphql-js would run it as a query and fail inside, as an internal error.
          if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return;
          const { status, code, message } = subscriptionOverHttp;
          logRefusal(
            logger,
            subscriptionOverHttp,
            { method: request.http?.method, url: path },
            { reason: 'subscription over HTTP' },
          );
          throw new GraphQLError(message, { extensions: { code, http: { status } } });
        },
      };
    },
  };
}
