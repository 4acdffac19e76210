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

/** The labels of an operation that was never identified: it did not parse, validate, or name one operation. */
const UNIDENTIFIED = 'none';

/**
 * Calls `each` with every root field's schema name and response key, through fragments, without building a list:
 * it runs for every operation. `__typename` is no root field; an operation of nothing else has none.
 */
function eachRootField(
  document: DocumentNode,
  selectionSet: SelectionSetNode,
  each: (name: string, key: string) => void,
  seen?: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename')
        each(selection.name.value, selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      eachRootField(document, selection.selectionSet, each, seen);
    } else {
      const name = selection.name.value;
      const visited = seen ?? new Set<string>();
      if (visited.has(name)) continue;
      visited.add(name);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) eachRootField(document, fragment.selectionSet, each, visited);
    }
  }
}

/**
 * Each root field of an operation once (aliases of one field once), with the code of the error at its path ('ok'
 * without one); an error with no path (a guard's refusal before execution) is every field's outcome. The duration
 * is the operation's: several root fields in one operation each get the whole. A mutation's fields are its
 * commands, each alias one, counted as such too. Labels take
 * only the schema's root field names (an unknown one fails validation, and is not an operation) and error codes.
 */
export function recordOperation(
  metrics: Metrics,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  result: ResultLike,
  seconds: number,
): void {
  const type = operation.operation;
  const errors = result.errors;
  const general = errors?.find((e) => !e.path || e.path.length === 0);
  let fields = 0;
  let first: string | undefined;
  // Made only for an operation of several root fields: a field under aliases is one figure of the operation's.
  let seen: Set<string> | undefined;
  eachRootField(document, operation.selectionSet, (name, key) => {
    // Executed, a field left out of the data was skipped (@skip/@include): it did not run.
    if (result.data && !(key in result.data)) return;
    const error = errors ? (errors.find((e) => e.path?.[0] === key) ?? general) : undefined;
    const outcome = error ? codeOf(error) : 'ok';
    // Each alias of a mutation is a command of its own.
    if (type === 'mutation') metrics.commandDone(name, outcome, seconds);
    if (fields++ === 0) first = name;
    else if (name === first || seen?.has(name)) return;
    else (seen ??= new Set([first!])).add(name);
    metrics.operationDone(type, name, outcome, seconds);
  });
  if (fields === 0) metrics.operationDone(type, UNIDENTIFIED, general ? codeOf(general) : 'ok', seconds);
}

/** An operation refused before it was identified (a parse or validation error, no single operation). */
export function recordUnidentified(metrics: Metrics, errors: readonly ErrorLike[] | undefined, seconds: number): void {
  const first = errors?.[0];
  metrics.operationDone(UNIDENTIFIED, UNIDENTIFIED, first ? codeOf(first) : 'ok', seconds);
}

/** Operations over HTTP, seen with the response Apollo sends (its errors already coded by formatError). */
export function operationMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ document, operation, response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (document && operation) recordOperation(metrics, document, operation, result, seconds(started));
          else recordUnidentified(metrics, result.errors, seconds(started));
        },
      };
    },
  };
}

type Tracked = {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  started: number;
  /** A subscription's root field; undefined for a query or mutation. */
  field?: string;
  open: boolean;
};

/**
 * Operations over graphql-ws, followed through its hooks by (socket, operation id): graphql-ws calls onComplete for
 * every operation that started, the ones a closing socket ends included. A subscription's duration is the time it
 * took to start delivering; how long it stays open is its own gauge.
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
      const entry: Tracked = { document, operation, started: performance.now(), open: false };
      if (operation.operation === 'subscription') {
        eachRootField(document, operation.selectionSet, (name) => (entry.field ??= name));
      }
      tracked(ctx).set(id, entry);
    },
    /**
     * onError, with the errors as they are sent: a refusal before execution (then graphql-ws never completes the
     * operation), an operation that did not parse or validate (not identified), or an open subscription's failure
     * (completed next).
     */
    failed(ctx: object, id: string, errors: readonly ErrorLike[]): void {
      const operations = bySocket.get(ctx);
      const operation = operations?.get(id);
      if (!operation) return recordUnidentified(metrics, errors, 0);
      if (operation.open) return;
      recordOperation(metrics, operation.document, operation.operation, { errors }, seconds(operation.started));
      operations?.delete(id);
    },
    /** onOperation: an async iterable is a subscription now open (otherwise it failed to start). */
    started(ctx: object, id: string, result: unknown): void {
      const operation = bySocket.get(ctx)?.get(id);
      if (operation?.field === undefined || !isAsyncIterable(result)) return;
      operation.open = true;
      recordOperation(metrics, operation.document, operation.operation, {}, seconds(operation.started));
      metrics.subscriptionOpened(operation.field);
    },
    /** onNext, with the result as it is sent. */
    next(ctx: object, id: string, result: ResultLike): void {
      const operations = bySocket.get(ctx);
      const operation = operations?.get(id);
      if (!operation) return;
      if (operation.open) return metrics.subscriptionMessage(operation.field!);
      if (operation.field !== undefined) return;
      recordOperation(metrics, operation.document, operation.operation, result, seconds(operation.started));
      operations!.delete(id);
    },
    /** onComplete. */
    completed(ctx: object, id: string): void {
      const operations = bySocket.get(ctx);
      const operation = operations?.get(id);
      if (operation?.open) metrics.subscriptionClosed(operation.field!);
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
