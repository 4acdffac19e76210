import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Metrics } from '../observability/metrics';

export type ErrorLike = { path?: readonly (string | number)[]; extensions?: Record<string, unknown> };
export type ResultLike = { data?: Record<string, unknown> | null; errors?: readonly ErrorLike[] };

/** A root field: its schema name (the label) and its response key (what errors' paths name). */
type RootField = { name: string; key: string };

export function rootFields(
  document: DocumentNode,
  selectionSet: SelectionSetNode,
  seen = new Set<string>(),
): RootField[] {
  return selectionSet.selections.flatMap((selection): RootField[] => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') return [];
      return [{ name: selection.name.value, key: selection.alias?.value ?? selection.name.value }];
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(document, selection.selectionSet, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? rootFields(document, fragment.selectionSet, seen) : [];
  });
}

export function codeOf(error: ErrorLike): string {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Counts each root field of a mutation once, with the code of the error at its path ('ok' without one). An error
 * with no path (a guard's refusal before execution) is every field's outcome. The duration is the operation's: a
 * client sending several mutations in one operation sees each with their sum.
 */
export function recordMutation(
  metrics: Metrics,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  result: ResultLike,
  seconds: number,
): void {
  const general = result.errors?.find((e) => !e.path || e.path.length === 0);
  for (const { name, key } of rootFields(document, operation.selectionSet)) {
    // Executed, a field left out of the data was skipped (@skip/@include): it was not a command.
    if (result.data && !(key in result.data)) continue;
    const error = result.errors?.find((e) => e.path?.[0] === key) ?? general;
    metrics.commandDone(name, error ? codeOf(error) : 'ok', seconds);
  }
}

/** Mutations over HTTP, seen with the response Apollo sends (its errors already coded by formatError). */
export function mutationMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ document, operation, response }) {
          // An operation that does not parse or validate was not identified as a mutation, and is not counted.
          if (!document || operation?.operation !== 'mutation' || response.body.kind !== 'single') return;
          recordMutation(metrics, document, operation, response.body.singleResult, seconds(started));
        },
      };
    },
  };
}

type Tracked =
  | { kind: 'mutation'; document: DocumentNode; operation: OperationDefinitionNode; started: number }
  | { kind: 'subscription'; field: string; open: boolean };

/**
 * Mutations and subscriptions over graphql-ws, followed through its hooks by (socket, operation id): graphql-ws
 * calls onComplete for every operation that started, the ones a closing socket ends included.
 */
export function wsOperationMetrics(metrics: Metrics) {
  const bySocket = new WeakMap<object, Map<string, Tracked>>();
  const tracked = (ctx: object) => {
    let operations = bySocket.get(ctx);
    if (!operations) bySocket.set(ctx, (operations = new Map()));
    return operations;
  };
  return {
    /** onSubscribe identified the operation (before the guards, which may still refuse it). */
    identified(ctx: object, id: string, document: DocumentNode, operation: OperationDefinitionNode): void {
      if (operation.operation === 'mutation') {
        tracked(ctx).set(id, { kind: 'mutation', document, operation, started: performance.now() });
      } else if (operation.operation === 'subscription') {
        const [field] = rootFields(document, operation.selectionSet);
        if (field) tracked(ctx).set(id, { kind: 'subscription', field: field.name, open: false });
      }
    },
    /**
     * onError, with the errors as they are sent: a refusal before execution (then graphql-ws never completes the
     * operation) or an open subscription's failure (completed next).
     */
    failed(ctx: object, id: string, errors: readonly ErrorLike[]): void {
      const operations = bySocket.get(ctx);
      const operation = operations?.get(id);
      if (operation?.kind === 'mutation') {
        recordMutation(metrics, operation.document, operation.operation, { errors }, seconds(operation.started));
      }
      if (operation?.kind === 'mutation' || (operation && !operation.open)) operations?.delete(id);
    },
    /** onOperation: an async iterable is a subscription now open (otherwise it failed to start). */
    started(ctx: object, id: string, result: unknown): void {
      const operation = bySocket.get(ctx)?.get(id);
      if (operation?.kind !== 'subscription' || !isAsyncIterable(result)) return;
      operation.open = true;
      metrics.subscriptionOpened(operation.field);
    },
    /** onNext, with the result as it is sent. */
    next(ctx: object, id: string, result: ResultLike): void {
      const operation = bySocket.get(ctx)?.get(id);
      if (operation?.kind === 'mutation') {
        recordMutation(metrics, operation.document, operation.operation, result, seconds(operation.started));
      } else if (operation?.open) {
        metrics.subscriptionMessage(operation.field);
      }
    },
    /** onComplete. */
    completed(ctx: object, id: string): void {
      const operations = bySocket.get(ctx);
      const operation = operations?.get(id);
      if (operation?.kind === 'subscription' && operation.open) metrics.subscriptionClosed(operation.field);
      operations?.delete(id);
    },
  };
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

export function isAsyncIterable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
