import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import type { GraphQLContext } from '../graphql-kit/context';

/** A step as express and Node's own server both call it: what it needs of the request and the response is Node's. */
export type NodeStep = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** What POST /graphql is served with: its steps in order, then Apollo Server with the request's context. */
export type GraphqlPost = {
  /** Whether this transport takes the request; the others (and any it would refuse before its body) go to express. */
  takes(req: IncomingMessage): boolean;
  steps: readonly NodeStep[];
  apollo: ApolloServer<GraphQLContext>;
  context(req: IncomingMessage & { body?: unknown }): Promise<GraphQLContext>;
  /** A step's failure, or Apollo's: answered as express's error handler answers it. */
  failed(error: unknown, req: IncomingMessage, res: ServerResponse): void;
};

/**
 * POST /graphql on Node's HTTP server directly: the steps express would run for it (pipeline.ts lists them, and
 * express runs the same step objects for every other request), then Apollo Server's executeHTTPGraphQLRequest, as
 * @as-integrations/express5 calls it. The express chain in front of it (its router, the request and response
 * objects it decorates, the routes it tries in turn) cost more per request than GraphQL itself did for a small
 * query (docs/performance.md). Returns false for a request it does not take.
 */
export function graphqlPost(post: GraphqlPost): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { takes, steps, apollo, context, failed } = post;
  const serve = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url!.indexOf('?');
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: 'POST',
      headers,
      search: query === -1 ? '' : req.url!.slice(query),
      body: req.body,
    };
    const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => context(req) });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return (req, res) => {
    if (!takes(req)) return false;
    let index = 0;
    const next = (error?: unknown): void => {
      if (error) return failed(error, req, res);
      const step = steps[index++];
      if (step) {
        try {
          step(req, res, next);
        } catch (thrown) {
          failed(thrown, req, res);
        }
        return;
      }
      serve(req, res).catch((thrown: unknown) => failed(thrown, req, res));
    };
    next();
    return true;
  };
}
