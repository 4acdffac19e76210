import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type ParseOptions,
} from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { createContext, type GraphQLContext } from '../graphql-kit/context';
import { idBounds } from './id-bounds';
import { inputHygiene } from './input-hygiene';
import { responsePolicy } from './response-policy';
import { runGuards, type OperationGuard } from './operation-guards';
import { parseOptions, queryLimitsGuard } from './query-limits';
import { rateLimitMutations } from './rate-limit';
import type { Services } from '../services';
import { httpPrincipal, wsAuthentication } from './authentication';
import { serveGraphqlWs } from './graphql-ws-transport';
import { healthRouter } from './health';
import { answerClientErrors, errorHandler, notFound, requireJsonBody } from './http-errors';
import { httpOnlyRules } from './http-only-rules';
import { subscribeSharingResults } from '../subscriptions/shared-execution';
import { ideRouter, type PageOptions } from './ide';
import { livePageRouter } from './live-page';
import { metricsRouter } from './metrics-endpoint';
import { mutationMetricsPlugin } from './operation-metrics';
import { httpOperationLog, httpOperationSpans, wsOperationTelemetry } from './operation-telemetry';
import { originPolicy } from './origins';
import { retryAfterHeader } from './retry-after';
import { securityHeaders } from './security-headers';
import { routeUpgrades } from './upgrade';
import { READ_AFTER_HEADER, readAfterPosition } from './read-after';
import { hostPolicy, requireKnownHost } from './hosts';

export type HttpServer = { server: http.Server; stop(): Promise<void> };

const GRAPHQL_PATH = '/graphql';

/** graphql's parse, its syntax errors coded as Apollo Server codes them over HTTP. */
function parseForWs(query: string, options: ParseOptions): DocumentNode {
  try {
    return parse(query, options);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    throw new GraphQLError(error.message, {
      source: error.source,
      positions: error.positions,
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  }
}

/** One HTTP server and port: GraphQL over HTTP (Apollo Server) and graphql-ws on the same path. */
export async function createHttpServer(
  schema: GraphQLSchema,
  services: Services,
  logger: Logger,
  /** In development mode: the token the IDE and the live page send when opened with the page key. */
  pages: PageOptions = {},
): Promise<HttpServer> {
  const app = express();
  const { config } = services;
  // Slow clients hold a socket only so long (slowloris held one for Node's defaults: 60 s of headers, 300 s of body).
  const server = http.createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      // How often Node looks for requests past those times (its default, 30 s, would let them run that much longer).
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
    },
    app,
  );
  if (config.http.maxConnections > 0) server.maxConnections = config.http.maxConnections;
  answerClientErrors(server, logger);
  const originAllowed = originPolicy(config.corsOrigins);

  // Checks every operation passes once it is parsed and validated, before it runs, on both transports.
  const guards: OperationGuard[] = [
    queryLimitsGuard(config.queryLimits, config.inputLimits),
    inputHygiene,
    idBounds(config.inputLimits.idLength),
    // Last: an operation another guard refuses costs its caller no token.
    rateLimitMutations(config.rateLimit),
  ];

  // maxPayload bounds every frame, connection_init included (ws closes the socket with 1009 beyond it).
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxPayloadBytes });
  const hostAllowed = hostPolicy(config.allowedHosts, config.host);
  routeUpgrades(server, wsServer, {
    path: GRAPHQL_PATH,
    originAllowed,
    hostAllowed,
    maxPerAddress: config.wsMaxConnectionsPerAddress,
    logger,
  });
  const policy = responsePolicy(logger);
  const { metrics } = services;
  const wsOperations = wsOperationTelemetry({ metrics, logger, tracing: services.tracing });
  metrics.watch({ webSockets: () => wsServer.clients.size });
  const wsCleanup = serveGraphqlWs<Record<string, unknown>>(
    {
      schema,
      execute: wsOperations.execute,
      subscribe: wsOperations.subscribe(subscribeSharingResults),
      connectionInitWaitTimeout: 10_000,
      onConnect: wsAuthentication(services.auth),
      // Parsed, validated and guarded here rather than by graphql-ws, so that a bad document fails only its own
      // operation (graphql-ws lets a parse error escape and the socket would close) and the guards see it.
      // Each operation gets its own context: its own loaders and warnings.
      onSubscribe: (ctx, id, payload): ExecutionArgs | readonly GraphQLError[] => {
        try {
          const document = parseForWs(payload.query, parseOptions(config.queryLimits));
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
          const operation = getOperationAST(document, payload.operationName);
          if (!operation) return [new GraphQLError('Unable to identify the operation to run')];
          const variables = payload.variables ?? {};
          const contextValue = createContext(
            services,
            { principal: ctx.extra.principal ?? null, address: ctx.extra.request.socket.remoteAddress ?? 'unknown' },
            logger,
          );
          wsOperations.identified(ctx, id, document, operation, contextValue);
          runGuards(guards, { schema, document, operation, variables, context: contextValue });
          return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue };
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        wsOperations.started(ctx, id, result);
        return undefined;
      },
      onError: (ctx, id, _payload, errors) => {
        const formatted = policy.errors(errors);
        wsOperations.failed(ctx, id, formatted);
        return formatted;
      },
      onNext: (ctx, id, _payload, args, result) => {
        const context = args.contextValue as GraphQLContext;
        if (!result.errors && context.warnings.length === 0) {
          wsOperations.next(ctx, id, result);
          return undefined;
        }
        const sent = {
          ...result,
          errors: result.errors && policy.errors(result.errors),
          extensions: policy.extensions(result.extensions, context),
        };
        wsOperations.next(ctx, id, sent);
        return sent;
      },
      onComplete: (ctx, id) => wsOperations.completed(ctx, id),
    },
    wsServer,
    { keepAliveMs: config.wsKeepAliveMs, limits: config.wsLimits, logger },
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    // Apollo turns introspection off when NODE_ENV=production (as the image runs); the contract keeps it open, to
    // callers without a token too, so IDEs and codegen load the schema (schema.graphql is public anyway).
    introspection: true,
    parseOptions: parseOptions(config.queryLimits),
    // The process owns shutdown (src/main.ts): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    formatError: (_formatted, error) => policy.error(error),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ schema, document, operation, request, contextValue }) {
              // Apollo refuses a document without an identifiable operation before this hook.
              if (!operation) return;
              runGuards(guards, {
                schema,
                document,
                operation,
                variables: request.variables ?? {},
                context: contextValue,
              });
            },
            async willSendResponse({ response, contextValue }) {
              if (response.body.kind !== 'single') return;
              const result = response.body.singleResult;
              result.extensions = policy.extensions(result.extensions, contextValue);
            },
          };
        },
      },
      mutationMetricsPlugin(metrics),
      httpOperationLog(logger, services.tracing),
      httpOnlyRules(logger, GRAPHQL_PATH),
      retryAfterHeader,
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
  // First, so that every answer is counted, refusals included.
  app.use((_req, res, next) => {
    res.once('finish', () => metrics.httpRequest(res.statusCode));
    next();
  });
  app.use(requireKnownHost(hostAllowed, logger));
  app.use(securityHeaders());
  app.use(healthRouter(services, logger));
  app.use(metricsRouter(metrics, services.auth, config.metricsToken, logger));
  // Ahead of the IDE's router, which would otherwise answer OPTIONS /graphql itself (Allow: GET, HEAD) and fail
  // every preflight. A disallowed origin gets no Access-Control-Allow-Origin, so the browser keeps the response.
  app.use(
    GRAPHQL_PATH,
    cors<cors.CorsRequest>({
      origin: (origin, done) => done(null, origin !== undefined && originAllowed(origin)),
      // Browsers otherwise ask again before every request (Chromium's default is 5 s).
      maxAge: 600,
    }),
  );
  app.use(ideRouter(pages));
  app.use(livePageRouter(pages));
  app.use(
    GRAPHQL_PATH,
    requireJsonBody(logger),
    express.json({ limit: config.bodyLimitBytes }),
    httpOperationSpans(services.tracing),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        createContext(
          services,
          {
            principal: await httpPrincipal(services.auth, req.headers.authorization),
            address: req.socket.remoteAddress ?? 'unknown',
            readAfter: await readAfterPosition(req.headers[READ_AFTER_HEADER], services),
          },
          logger,
        ),
    }),
  );
  app.use(notFound(logger));
  app.use(errorHandler(logger));

  return { server, stop: () => apollo.stop() };
}
