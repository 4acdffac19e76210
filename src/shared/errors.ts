import type { BusinessRule, ErrorCode } from '../generated/graphql';

/**
 * Errors the domain and the application raise on purpose. Each carries the `extensions.code` it maps to at the
 * GraphQL edge (docs/api.md, "Errors"); anything else that escapes is an internal error. Codes and rules are the
 * schema's `ErrorCode` and `BusinessRule` enums, as codegen types them: one the schema does not list fails tsc.
 */
export type { BusinessRule, ErrorCode };

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra, client-safe fields merged into `extensions`. */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Malformed or invalid input: nothing about the current state could make it acceptable. */
export class InvalidInput extends AppError {
  readonly code = 'BAD_USER_INPUT';
  constructor(message: string, field?: string) {
    super(message, field ? { field } : {});
  }
}

export class NotFound extends AppError {
  readonly code = 'NOT_FOUND';
  constructor(what: string, id: string) {
    super(`${what} ${id} was not found`, { id });
  }
}

/** A domain rule refused the command in the aggregate's current state; `rule` names it for clients. */
export class RuleViolation extends AppError {
  readonly code = 'BUSINESS_RULE_VIOLATION';
  constructor(
    readonly rule: BusinessRule,
    message: string,
  ) {
    super(message, { rule });
  }
}

export class ConcurrencyConflict extends AppError {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`Aggregate ${aggregateId} is at version ${actualVersion}, not the expected ${expectedVersion}`, {
      expectedVersion,
      actualVersion,
    });
  }
}

export class IdempotencyConflict extends AppError {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  constructor(commandId: string) {
    super(`commandId ${commandId} was already used for a different command`, { commandId });
  }
}

/** An orderChanged/ordersChanged subscriber has too many orders waiting: it ends, to be started again. */
export class SubscriberTooSlowError extends AppError {
  readonly code = 'SUBSCRIBER_TOO_SLOW';
  constructor(limit: number) {
    super(
      `This subscription had changes of more than ${limit} orders waiting for the client and was ended; ` +
        'subscribe again (and query the orders you need, since changes in between were not sent).',
      { limit },
    );
  }
}

/** A document over one of the query limits (depth, cost, aliases, tokens); `limit` names which. */
export class QueryTooComplex extends AppError {
  readonly code = 'QUERY_TOO_COMPLEX';
  constructor(limit: string, max: number, actual: number | undefined, message: string) {
    super(message, actual === undefined ? { limit, max } : { limit, max, actual });
  }
}

/** The caller sent more mutations than the rate limit allows; it may try again after `retryAfterMs`. */
export class RateLimited extends AppError {
  readonly code = 'RATE_LIMITED';
  constructor(retryAfterMs: number) {
    super(`Too many mutations; try again in ${retryAfterMs} ms`, { retryAfterMs });
  }
}

/** No token, or one that is bad or expired: the caller must authenticate (again). */
export class Unauthenticated extends AppError {
  readonly code = 'UNAUTHENTICATED';
}

/** The caller's role may not do this (a customer acting on someone else's data gets NOT_FOUND instead). */
export class Forbidden extends AppError {
  readonly code = 'FORBIDDEN';
}
