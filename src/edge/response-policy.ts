import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../graphql-kit/context';
import type { Metrics } from '../observability/metrics';
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

/**
 * Every refusal and warning passes here on its way out, on either transport: counted by code
 * (`orderstream_refusals_total`).
 */
export function responsePolicy(logger: Logger, metrics: Pick<Metrics, 'refused'>): ResponsePolicy {
  const error = (e: unknown) => {
    const formatted = formatError(
      e instanceof GraphQLError
        ? e
        : new GraphQLError('Unexpected error', { originalError: e instanceof Error ? e : new Error(String(e)) }),
      logger,
    );
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') metrics.refused(code);
    return formatted;
  };
  return {
    error,
    errors: (errors) => errors.map(error),
    extensions(extensions, { cost, warnings }) {
      if (cost === undefined && warnings.length === 0) return extensions;
      for (const warning of warnings) metrics.refused(warning.code);
      return { ...extensions, ...(cost && { cost }), ...(warnings.length > 0 && { warnings }) };
    },
  };
}
