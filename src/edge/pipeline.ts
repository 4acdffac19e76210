import type { IncomingMessage } from 'node:http';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type Express } from 'express';
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
import type { ServerOptions } from 'graphql-ws';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import { createContext, type GraphQLContext } from '../graphql-kit/context';
import type { Services } from '../services';
import { subscribeSharingResults } from '../subscriptions/shared-execution';
import type { ErrorCode } from '../shared/errors';
import { httpPrincipal, wsAuthentication } from './authentication';
import type { GraphqlPost, NodeStep } from './graphql-post';
import type { WsExtra } from './graphql-ws-transport';
import type { Drain } from './drain';
import { healthRouter } from './health';
import { hostPolicy, requireKnownHost } from './hosts';
import { errorHandler, jsonOrNoBody, notFound, refusedCode, refuseFailed, requireJsonBody } from './http-errors';
import { httpOnlyRules } from './http-only-rules';
import { methodOf, routeOf } from './http-routes';
import { idBounds } from './id-bounds';
import { ideRouter, type PageOptions } from './ide';
import { inputHygiene } from './input-hygiene';
import { livePageRouter } from './live-page';
import { metricsRouter } from './metrics-endpoint';
import { runGuards, type OperationGuard } from './operation-guards';
import { operationMetricsPlugin } from './operation-metrics';
import { httpOperationLog, httpOperationSpans, wsOperationTelemetry } from './operation-telemetry';
import { originPolicy } from './origins';
import { parseOptions, queryLimitsGuard } from './query-limits';
import { rateLimitMutations } from './rate-limit';
import { READ_AFTER_HEADER, readAfterPosition } from './read-after';
import { responsePolicy } from './response-policy';
import { retryAfterHeader } from './retry-after';
import { securityHeaders } from './security-headers';
import { socketsPerAddress, upgradeHost, upgradeOrigin, upgradePath, type UpgradeCheck } from './upgrade';

/*
 * The one order of the steps an operation passes, over HTTP and over graphql-ws. Each step is a module of this
 * folder (or, for access, of src/auth); the transports (http-server.ts, upgrade.ts, graphql-ws-transport.ts) only
 * carry bytes and take their steps from here.
 *
 *   step               HTTP                                         graphql-ws
 *   1  host            requireKnownHost (hosts.ts)                   upgradeHost, at the upgrade
 *   2  origin          cors on /graphql (origins.ts)                 upgradeOrigin, at the upgrade; then
 *                                                                    socketsPerAddress
 *   3  body            requireJsonBody, express.json(bodyLimit)      ws maxPayload, the socket's byte budget
 *                                                                    (ws-limits.ts)
 *   4  authentication  httpPrincipal, with the context               wsAuthentication, at connection_init
 *   5  parse           Apollo Server, with parseOptions (tokens)     parseOperation, with the same options
 *   6  validate        Apollo Server                                 validate
 *   7  limits          queryLimitsGuard: depth, aliases (query-limits.ts)
 *   8  cost            queryLimitsGuard: cost from the schema's @cost/@listSize (query-cost.ts)
 *   9  input hygiene   inputHygiene (input-hygiene.ts)
 *   10 id bounds       idBounds (id-bounds.ts)
 *   11 rate limit      rateLimitMutations (rate-limit.ts): last, so an operation refused before costs no token
 *   12 access          the schema's access rules, at each root field (src/auth/access.ts)
 *   13 execute         Apollo Server                                 graphql-ws, subscriptions sharing results
 *   14 response policy responsePolicy: errors formatted, cost and warnings in extensions (response-policy.ts)
 *   15 telemetry       metrics, one log line, spans (operation-telemetry.ts, operation-metrics.ts); HTTP counts
 *                      every answer first, refusals included
 *
 * Steps 7 to 11 are OperationGuards, run in this order by both transports (operationGuards below).
 *
 * Over HTTP, POST /graphql is served on node:http without express (graphql-post.ts, graphqlPostSteps below), and
 * every other request through express (httpSteps): both run the same step objects in the order above, and a POST
 * that step 1 or 3 refuses before its body is read is left to express, which refuses it as any other.
 */

export const GRAPHQL_PATH = '/graphql';

/** What every step is built from. */
export type Edge = {
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  /** In development mode: the token the IDE and the live page send when opened with the page key. */
  pages: PageOptions;
  /** The shutdown's first part, which readiness reports. */
  drain: Drain;
};

/** The policies both transports share, made once per server. */
export type Steps = ReturnType<typeof edgeSteps>;

export function edgeSteps({ schema, services, logger }: Edge) {
  const { config, metrics, tracing } = services;
  const originAllowed = originPolicy(config.corsOrigins);
  return {
    hostAllowed: hostPolicy(config.allowedHosts, config.host),
    originAllowed,
    /** Step 15's first part over HTTP: every answer timed, refusals included. */
    countAnswers: ((req, res, next) => {
      const started = performance.now();
      res.once('finish', () => {
        const seconds = (performance.now() - started) / 1000;
        metrics.httpRequest(methodOf(req.method), routeOf(req.url), res.statusCode, seconds);
        // Refused outside GraphQL (GraphQL's refusals are counted as they are formatted: response-policy.ts).
        const refused = refusedCode(res);
        if (refused && refused !== 'INTERNAL_SERVER_ERROR') metrics.refused(refused);
      });
      next();
    }) satisfies NodeStep,
    securityHeaders: securityHeaders(),
    cors: cors<cors.CorsRequest>({
      origin: (origin, done) => done(null, origin !== undefined && originAllowed(origin)),
      // Browsers otherwise ask again before every request (Chromium's default is 5 s).
      maxAge: 600,
    }),
    jsonBody: express.json({ limit: config.bodyLimitBytes }),
    httpSpans: httpOperationSpans(tracing),
    parseOptions: parseOptions(config.queryLimits),
    guards: operationGuards(services, schema),
    response: responsePolicy(logger, metrics),
    wsTelemetry: wsOperationTelemetry({ metrics, logger, tracing }),
  };
}

/** Steps 7 to 11: run on the parsed, validated operation with its variables, before it executes. */
function operationGuards({ config, mutationBuckets }: Services, schema: GraphQLSchema): OperationGuard[] {
  return [
    queryLimitsGuard(config.queryLimits, schema),
    inputHygiene,
    idBounds(config.inputLimits.idLength),
    rateLimitMutations(mutationBuckets),
  ];
}

/** Steps 1 and 2 for a WebSocket, at its upgrade. */
export function upgradeSteps({ services }: Edge, steps: Steps): UpgradeCheck[] {
  return [
    upgradePath(GRAPHQL_PATH),
    upgradeHost(steps.hostAllowed),
    upgradeOrigin(steps.originAllowed),
    socketsPerAddress(services.config.wsMaxConnectionsPerAddress),
  ];
}

/** A refusal before execution, as graphql-ws sends it: the operation's errors. */
function refused(error: unknown): readonly GraphQLError[] {
  if (error instanceof GraphQLError) return [error];
  throw error;
}

/** graphql's parse, its syntax errors coded as Apollo Server codes them over HTTP. */
function parseOperation(query: string, options: ParseOptions): DocumentNode {
  try {
    return parse(query, options);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    throw new GraphQLError(error.message, {
      source: error.source,
      positions: error.positions,
      extensions: { code: 'GRAPHQL_PARSE_FAILED' satisfies ErrorCode },
    });
  }
}

/** Steps 4 to 15 over graphql-ws, as its hooks (graphql-ws calls them in this order for an operation). */
export function wsSteps(
  { schema, services, logger }: Edge,
  steps: Steps,
): ServerOptions<Record<string, unknown>, WsExtra> {
  const { response, wsTelemetry: telemetry, guards } = steps;
  return {
    schema,
    execute: telemetry.execute,
    subscribe: telemetry.subscribe(subscribeSharingResults),
    connectionInitWaitTimeout: 10_000,
    onConnect: wsAuthentication(services.auth),
    // Parsed, validated and guarded here rather than by graphql-ws, so that a bad document fails only its own
    // operation (graphql-ws lets a parse error escape and the socket would close) and the guards see it.
    // Each operation gets its own context: its own loaders and warnings.
    onSubscribe: (
      ctx,
      id,
      payload,
    ): ExecutionArgs | readonly GraphQLError[] | Promise<ExecutionArgs | readonly GraphQLError[]> => {
      try {
        const document = parseOperation(payload.query, steps.parseOptions);
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
        telemetry.identified(ctx, id, document, operation, contextValue);
        const args = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: variables,
          contextValue,
        };
        const guarded = runGuards(guards, { schema, document, operation, variables, context: contextValue });
        return guarded ? guarded.then(() => args, refused) : args;
      } catch (error) {
        return refused(error);
      }
    },
    onOperation: (ctx, id, _payload, _args, result) => {
      telemetry.started(ctx, id, result);
      return undefined;
    },
    onError: (ctx, id, _payload, errors) => {
      const formatted = response.errors(errors);
      telemetry.failed(ctx, id, formatted);
      return formatted;
    },
    onNext: (ctx, id, _payload, args, result) => {
      const context = args.contextValue as GraphQLContext;
      if (!result.errors && context.warnings.length === 0 && context.cost === undefined) {
        telemetry.next(ctx, id, result);
        return undefined;
      }
      const sent = {
        ...result,
        errors: result.errors && response.errors(result.errors),
        extensions: response.extensions(result.extensions, context),
      };
      telemetry.next(ctx, id, sent);
      return sent;
    },
    onComplete: (ctx, id) => telemetry.completed(ctx, id),
  };
}

/** Steps 5 to 15 over HTTP, as Apollo Server's options: its hooks run in the order of this list. */
export function apolloSteps(
  { schema, services, logger }: Edge,
  steps: Steps,
  wss: { dispose(): Promise<void> },
): ConstructorParameters<typeof ApolloServer<GraphQLContext>>[0] {
  const { response, guards } = steps;
  const operationSteps: ApolloServerPlugin<GraphQLContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          // Apollo refuses a document without an identifiable operation before this hook.
          if (!operation) return;
          await runGuards(guards, {
            schema,
            document,
            operation,
            variables: request.variables ?? {},
            context: contextValue,
          });
        },
        async willSendResponse({ response: sent, contextValue }) {
          // What Apollo's cache control plugin answered (it is off, see below): no response here may be kept by a
          // cache, since every one depends on who asked.
          sent.http.headers.set('cache-control', 'no-store');
          if (sent.body.kind !== 'single') return;
          const result = sent.body.singleResult;
          result.extensions = response.extensions(result.extensions, contextValue);
        },
      };
    },
  };
  return {
    schema,
    includeStacktraceInErrorResponses: false,
    // Apollo turns introspection off when NODE_ENV=production (as the image runs); the contract keeps it open, to
    // callers without a token too, so IDEs and codegen load the schema (schema.graphql is public anyway).
    introspection: true,
    parseOptions: steps.parseOptions,
    // A request that carries any of these headers cannot be sent cross-site without a CORS preflight, which the
    // origin policy answers: Apollo's two, and Authorization, which every caller that holds a token sends (urql
    // sends queries as GET by default).
    csrfPrevention: { requestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight', 'authorization'] },
    // The process owns shutdown (src/main.ts): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    formatError: (_formatted, error) => response.error(error),
    plugins: [
      operationSteps,
      operationMetricsPlugin(services.metrics),
      httpOperationLog(logger, services.tracing),
      httpOnlyRules(logger, GRAPHQL_PATH),
      retryAfterHeader,
      ApolloServerPluginLandingPageDisabled(),
      // Apollo installs these otherwise, and they run for every request: cache control wraps every resolver to
      // collect cache hints that nothing here gives, only to answer `no-store` (set above instead); inline traces
      // are for federated subgraphs, which this is not.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              // Closes every socket with 1001 (going away): clients reconnect, to another instance if need be.
              await wss.dispose();
            },
          };
        },
      },
    ],
  };
}

/** Step 4 over HTTP, with the request's context: who is calling, and the log position it reads after. */
function httpContext({ services, logger }: Edge) {
  return async (req: IncomingMessage): Promise<GraphQLContext> => {
    const readAfter = req.headers[READ_AFTER_HEADER];
    return createContext(
      services,
      {
        principal: await httpPrincipal(services.auth, req.headers.authorization),
        address: req.socket.remoteAddress ?? 'unknown',
        readAfter: readAfter === undefined ? undefined : await readAfterPosition(readAfter, services),
      },
      logger,
    );
  };
}

/**
 * Steps 1 to 4 and 15 for POST /graphql, served on node:http without express (graphql-post.ts): the same step
 * objects, in the same order, as the express chain below runs them. A request for another host, or with a body that
 * is not JSON, is left to express, which refuses it as it refuses any other.
 */
export function graphqlPostSteps(edge: Edge, steps: Steps, apollo: ApolloServer<GraphQLContext>): GraphqlPost {
  return {
    takes: (req) =>
      req.method === 'POST' &&
      (req.url === GRAPHQL_PATH || req.url!.startsWith(`${GRAPHQL_PATH}?`)) &&
      steps.hostAllowed(req.headers.host) &&
      jsonOrNoBody(req.headers),
    steps: [steps.countAnswers, steps.securityHeaders, steps.cors, steps.jsonBody, steps.httpSpans],
    apollo,
    context: httpContext(edge),
    failed: (error, req, res) => refuseFailed(edge.logger, error, req, res),
  };
}

/**
 * Steps 1 to 4 and 15 over HTTP, as express handlers in order, with the routes beside /graphql among them: every
 * request but POST /graphql (graphqlPostSteps).
 */
export function httpSteps(edge: Edge, steps: Steps, apollo: ApolloServer<GraphQLContext>): Express {
  const { services, logger, pages } = edge;
  const { config, metrics } = services;
  const context = httpContext(edge);
  const app = express();
  app.disable('x-powered-by');
  // First, so that every answer is counted, refusals included.
  app.use(steps.countAnswers);
  app.use(requireKnownHost(steps.hostAllowed, logger));
  app.use(steps.securityHeaders);
  app.use(healthRouter(services, edge.drain, logger));
  app.use(metricsRouter(metrics, services.auth, config.metricsToken, logger));
  // Ahead of the IDE's router, which would otherwise answer OPTIONS /graphql itself (Allow: GET, HEAD) and fail
  // every preflight. A disallowed origin gets no Access-Control-Allow-Origin, so the browser keeps the response.
  app.use(GRAPHQL_PATH, steps.cors);
  app.use(ideRouter(pages));
  app.use(livePageRouter(pages));
  app.use(
    GRAPHQL_PATH,
    requireJsonBody(logger),
    steps.jsonBody,
    steps.httpSpans,
    expressMiddleware(apollo, { context: ({ req }) => context(req) }),
  );
  app.use(notFound(logger));
  app.use(errorHandler(logger));
  return app;
}

/** The WebSocket server's socket count, for the metrics. */
export function watchSockets({ services }: Edge, wss: WebSocketServer): void {
  services.metrics.watch({ webSockets: () => wss.clients.size });
}
