import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../graphql-kit/context';
import { formatError } from './errors';

/**
 * How a response reaches a client, the same over HTTP (Apollo Server) and graphql-ws: every error through the one
 * formatter (documented codes, internals logged and hidden), and the operation's cost and warnings in `extensions`.
 */
export type ResponsePolicy = {
  /** One error as the client sees it; anything that is not a GraphQLError is an internal error. */
  error(error: unknown): GraphQLFormattedError;
  errors(errors: readonly unknown[]): GraphQLFormattedError[];
  /** The extensions a result goes out with: its own, plus the operation's cost and its warnings when it has them. */
  extensions(
    extensions: Record<string, unknown> | undefined,
    context: GraphQLContext,
  ): Record<string, unknown> | undefined;
};

export function responsePolicy(logger: Logger): ResponsePolicy {
  const error = (e: unknown) =>
    formatError(
      e instanceof GraphQLError
        ? e
        : new GraphQLError('Unexpected error', { originalError: e instanceof Error ? e : new Error(String(e)) }),
      logger,
    );
  return {
    error,
    errors: (errors) => errors.map(error),
    extensions(extensions, { cost, warnings }) {
      if (cost === undefined && warnings.length === 0) return extensions;
      return { ...extensions, ...(cost && { cost }), ...(warnings.length > 0 && { warnings }) };
    },
  };
}
