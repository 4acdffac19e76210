import { Kind, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError, type ErrorCode } from '../shared/errors';
import { tooManyTokens } from './query-limits';

/**
 * Codes a client may see besides the domain's own (graphql-js and Apollo Server raise these for bad documents and
 * requests). Apollo's PERSISTED_QUERY_NOT_SUPPORTED is not among them: automatic persisted queries are on (Apollo's
 * default), so Apollo never raises it.
 */
const PASS_THROUGH: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/** The AST kinds of a literal value in a document. */
const VALUE_KINDS: ReadonlySet<Kind> = new Set([
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
]);

/**
 * A literal argument of the wrong type (quantity: 1.5) fails document validation, but to the client it is bad input
 * exactly as the same value passed in a variable is: one code for both. Such an error is the one validation
 * reports at a value node (graphql-js's ValuesOfCorrectTypeRule), which tells it apart without reading its wording.
 */
function isBadLiteral(error: GraphQLError): boolean {
  return error.nodes?.some((node) => VALUE_KINDS.has(node.kind)) ?? false;
}

/**
 * The one place errors become client-visible. Deliberate errors keep their message and code; anything else is
 * logged with its detail and reaches the client only as INTERNAL_SERVER_ERROR, never with a stack trace.
 */
export function formatError(error: GraphQLError, logger: Logger): GraphQLFormattedError {
  const { message, locations, path } = error;
  // A parse stopped by QUERY_MAX_TOKENS is graphql's syntax error (wrapped by Apollo Server): QUERY_TOO_COMPLEX.
  const original = tooManyTokens(error) ?? error.originalError;
  if (original instanceof AppError) {
    return { message: original.message, locations, path, extensions: { code: original.code, ...original.details } };
  }
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
  if (original === undefined || (code !== undefined && PASS_THROUGH.has(code))) {
    // (graphql-ws hands graphql-js's validation errors over as they are, without a code.)
    const invalid = code === undefined || code === 'GRAPHQL_VALIDATION_FAILED';
    const clientCode = invalid && isBadLiteral(error) ? 'BAD_USER_INPUT' : (code as ErrorCode | undefined);
    return { message, locations, path, extensions: { code: clientCode ?? 'GRAPHQL_VALIDATION_FAILED' } };
  }
  logger.error({ err: original, path }, 'internal error while executing an operation');
  const internal = { code: 'INTERNAL_SERVER_ERROR' satisfies ErrorCode };
  return { message: 'Internal server error', locations, path, extensions: internal };
}
