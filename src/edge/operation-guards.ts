import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { AppError } from '../shared/errors';
import type { GraphQLContext } from '../graphql-kit/context';

/** A parsed, validated operation about to run, over HTTP or graphql-ws alike. */
export type GuardedOperation = {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** As the client sent them, before coercion. */
  variables: Readonly<Record<string, unknown>>;
  context: GraphQLContext;
};

/** Refuses an operation before it executes by throwing an AppError (its code reaches the client). */
export type OperationGuard = (operation: GuardedOperation) => void;

const HTTP_STATUS: Partial<Record<AppError['code'], number>> = {
  BAD_USER_INPUT: 400,
  QUERY_TOO_COMPLEX: 400,
  RATE_LIMITED: 429,
};

/**
 * Runs every guard in order. The first refusal becomes a GraphQLError that keeps the AppError (so the one error
 * formatter gives it its code) and carries the HTTP status Apollo Server answers with.
 */
export function runGuards(guards: readonly OperationGuard[], operation: GuardedOperation): void {
  try {
    for (const guard of guards) guard(operation);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    throw new GraphQLError(error.message, {
      originalError: error,
      extensions: { code: error.code, http: { status: HTTP_STATUS[error.code] ?? 400 } },
    });
  }
}
