import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { createContext, type GraphQLContext } from '../graphql/context';
import { formatError } from '../graphql/errors';
import type { Services } from '../services';
import { serveGraphqlWs } from './graphql-ws-transport';
import { healthRouter } from './health';
import { subscribeSharingResults } from '../subscriptions/shared-execution';
import { ideRouter } from './ide';
import { livePageRouter } from './live-page';

export type HttpServer = { server: http.Server; stop(): Promise<void> };

const GRAPHQL_PATH = '/graphql';

function userIdFrom(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : null;
}

/** One HTTP server and port: GraphQL over HTTP (Apollo Server) and graphql-ws on the same path. */
export async function createHttpServer(schema: GraphQLSchema, services: Services, logger: Logger): Promise<HttpServer> {
  const app = express();
  const server = http.createServer(app);

  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const toClient = (errors: readonly GraphQLError[]) => errors.map((e) => formatError(e, logger));
  const wsCleanup = serveGraphqlWs<Record<string, unknown>>(
    {
      schema,
      subscribe: subscribeSharingResults,
      connectionInitWaitTimeout: 10_000,
      // Called for every operation: each gets its own loaders and warnings.
      context: (ctx): GraphQLContext => createContext(services, userIdFrom(ctx.connectionParams?.userId), logger),
      onError: (_ctx, _id, _payload, errors) => toClient(errors),
      onNext: (_ctx, _id, _payload, args, result) => {
        const warnings = (args.contextValue as GraphQLContext).warnings;
        if (!result.errors && warnings.length === 0) return undefined;
        return {
          ...result,
          errors: result.errors && toClient(result.errors),
          extensions: warnings.length > 0 ? { ...result.extensions, warnings } : result.extensions,
        };
      },
    },
    wsServer,
    { keepAliveMs: services.config.wsKeepAliveMs, logger },
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    // The process owns shutdown (src/main.ts): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    formatError: (_formatted, error) =>
      formatError(error instanceof GraphQLError ? error : new GraphQLError(String(error)), logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      {
        async requestDidStart() {
          return {
            async willSendResponse({ response, contextValue }) {
              if (contextValue.warnings.length === 0 || response.body.kind !== 'single') return;
              const result = response.body.singleResult;
              result.extensions = { ...result.extensions, warnings: contextValue.warnings };
            },
          };
        },
      },
      ApolloServerPluginLandingPageDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              // Closes every socket with 1001 (going away): clients reconnect, to another instance if need be.
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.use(healthRouter(services.pool));
  app.use(ideRouter());
  app.use(livePageRouter());
  app.use(
    GRAPHQL_PATH,
    cors<cors.CorsRequest>(),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => createContext(services, userIdFrom(req.headers['x-user-id']), logger),
    }),
  );

  return { server, stop: () => apollo.stop() };
}
