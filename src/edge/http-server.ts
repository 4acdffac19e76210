import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { GraphQLContext } from '../graphql-kit/context';
import type { Services } from '../services';
import { serveGraphqlWs } from './graphql-ws-transport';
import { answerClientErrors } from './http-errors';
import { Drain } from './drain';
import type { PageOptions } from './ide';
import { graphqlPost } from './graphql-post';
import {
  apolloSteps,
  edgeSteps,
  graphqlPostSteps,
  httpSteps,
  upgradeSteps,
  watchSockets,
  wsSteps,
  type Edge,
} from './pipeline';
import { routeUpgrades } from './upgrade';

export type HttpServer = {
  server: http.Server;
  /** Drains (drain.ts), then closes the sockets: true if every request in flight finished within the grace period. */
  stop(): Promise<boolean>;
};

/**
 * One HTTP server and port: GraphQL over HTTP (POST /graphql straight to Apollo Server, every other request through
 * express) and graphql-ws on the same path, each taking its steps from pipeline.ts.
 */
export async function createHttpServer(
  schema: GraphQLSchema,
  services: Services,
  logger: Logger,
  pages: PageOptions = {},
): Promise<HttpServer> {
  const { config } = services;
  // Slow clients hold a socket only so long (Node's defaults allow 60 s of headers and 300 s of body).
  const server = http.createServer({
    headersTimeout: config.http.headersTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    // How often Node looks for requests past those times (its default, 30 s, would let them run that much longer).
    connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
  });
  if (config.http.maxConnections > 0) server.maxConnections = config.http.maxConnections;
  const refused = (code: string) => services.metrics.refused(code);
  answerClientErrors(server, logger, refused);
  const drain = new Drain(server);
  const edge: Edge = { schema, services, logger, pages, drain };
  const steps = edgeSteps(edge);

  // maxPayload bounds every frame, connection_init included (ws closes the socket with 1009 beyond it).
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.wsMaxPayloadBytes });
  routeUpgrades(server, wsServer, upgradeSteps(edge, steps), logger, refused);
  watchSockets(edge, wsServer);
  const ws = serveGraphqlWs(wsSteps(edge, steps), wsServer, {
    keepAliveMs: config.wsKeepAliveMs,
    limits: config.wsLimits,
    logger,
  });

  const apollo = new ApolloServer<GraphQLContext>(apolloSteps(edge, steps, ws));
  await apollo.start();
  const post = graphqlPost(graphqlPostSteps(edge, steps, apollo));
  const app = httpSteps(edge, steps, apollo);
  server.on('request', (req, res) => {
    if (!post(req, res)) app(req, res);
  });

  return {
    server,
    async stop() {
      const drained = await drain.stop(config.shutdownGraceMs);
      await apollo.stop();
      return drained;
    },
  };
}
