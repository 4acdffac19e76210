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

/**
 * Refuses an operation before it executes by throwing an AppError (its code reaches the client), or by returning a
 * promise that rejects with one when it has to ask (the shared rate limit, now and then).
 */
export type OperationGuard = (operation: GuardedOperation) => void | Promise<void>;

const HTTP_STATUS: Partial<Record<AppError['code'], number>> = {
  BAD_USER_INPUT: 400,
  QUERY_TOO_COMPLEX: 400,
  RATE_LIMITED: 429,
};

/**
 * Runs every guard in order: synchronously while they answer at once (the usual case, no promise made), the rest
 * after one that asks. The first refusal becomes a GraphQLError that keeps the AppError (so the one error formatter
 * gives it its code) and carries the HTTP status Apollo Server answers with.
 */
export function runGuards(
  guards: readonly OperationGuard[],
  operation: GuardedOperation,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < guards.length; i++) {
    let pending: void | Promise<void>;
    try {
      pending = guards[i]!(operation);
    } catch (error) {
      throw refusal(error);
    }
    if (pending) {
      return pending.then(
        () => runGuards(guards, operation, i + 1),
        (error: unknown) => {
          throw refusal(error);
        },
      );
    }
  }
}

function refusal(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, http: { status: HTTP_STATUS[error.code] ?? 400 } },
  });
}
