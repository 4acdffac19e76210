import type { ApolloServerPlugin } from '@apollo/server';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { execute, GraphQLError, type DocumentNode, type ExecutionArgs, type OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { CommandIds } from '../commands/command-ids';
import type { GraphQLContext } from '../graphql-kit/context';
import {
  ATTR_ERROR_TYPE,
  ATTR_GRAPHQL_OPERATION_NAME,
  ATTR_GRAPHQL_OPERATION_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_OUTCOME,
  ATTR_ROOT_FIELDS,
  ATTR_TRANSPORT,
} from '../observability/attributes';
import type { Metrics } from '../observability/metrics';
import type { Tracing } from '../observability/tracing';
import type { NodeStep } from './graphql-post';
import {
  codeOf,
  isAsyncIterable,
  rootFields,
  wsOperationMetrics,
  type ErrorLike,
  type ResultLike,
} from './operation-metrics';

/**
 * What every GraphQL operation leaves behind besides its metrics, over HTTP and graphql-ws alike: one structured
 * log line (operation type, name and root fields, outcome code, duration, the caller, the ids of the commands it
 * ran, the trace id) and, with tracing on, one span, named as the semantic conventions for GraphQL say
 * (`mutation PlaceOrder`, or the root fields of an anonymous operation: `mutation placeOrder`), in whose context
 * the resolvers run, so that the commands and appends they cause are its children.
 */

type Transport = 'http' | 'ws';

/** An operation as identified once its document parsed (undefined parts: it did not get that far). */
type Described = { type?: string; name?: string; fields: string[] };

function describe(document: DocumentNode | undefined, operation: OperationDefinitionNode | undefined): Described {
  if (!document || !operation) return { fields: [] };
  return {
    type: operation.operation,
    name: operation.name?.value,
    fields: [...new Set(rootFields(document, operation.selectionSet).map((f) => f.name))],
  };
}

function outcomeOf(errors: readonly ErrorLike[] | undefined): string {
  const first = errors?.[0];
  return first ? codeOf(first) : 'ok';
}

function spanName(described: Described): string {
  return described.type ? `${described.type} ${described.name ?? described.fields.join(',')}` : 'graphql';
}

/** Names the operation's span once it is known, and records what became of it. */
function annotate(span: Span, described: Described, outcome: string): void {
  span.updateName(spanName(described));
  if (described.type) span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, described.type);
  if (described.name) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, described.name);
  if (described.fields.length > 0) span.setAttribute(ATTR_ROOT_FIELDS, described.fields);
  span.setAttribute(ATTR_OUTCOME, outcome);
  if (outcome === 'ok') return;
  span.setAttribute(ATTR_ERROR_TYPE, outcome);
  // A refusal (bad input, a business rule, a missing token) is the caller's; only a fault of the server's is an
  // error of the span.
  if (outcome === 'INTERNAL_SERVER_ERROR') span.setStatus({ code: SpanStatusCode.ERROR });
}

/** One command: its ids as fields of the line; several (one operation, many mutations): a list. */
function commandFields(commands: readonly CommandIds[]): Record<string, unknown> {
  if (commands.length === 0) return {};
  if (commands.length > 1) return { commands };
  const [{ correlationId, causationId, commandId }] = commands as [CommandIds];
  return { correlationId, causationId, commandId };
}

type Line = {
  transport: Transport;
  described: Described;
  outcome: string;
  /** When the operation started (performance.now()); unknown for a request refused before it was one. */
  started?: number;
  context?: GraphQLContext;
  traceId?: string;
  extra?: Record<string, unknown>;
};

function levelOf(outcome: string): 'warn' | 'info' {
  return outcome === 'INTERNAL_SERVER_ERROR' ? 'warn' : 'info';
}

function logLine(logger: Logger, message: string, line: Line): void {
  const { described, outcome, context, started } = line;
  const level = levelOf(outcome);
  // At LOG_LEVEL=warn (as the benchmark runs) a request costs no line and none of its making.
  if (!logger.isLevelEnabled(level)) return;
  const fields = {
    transport: line.transport,
    operationType: described.type,
    operationName: described.name,
    rootFields: described.fields.length > 0 ? described.fields : undefined,
    outcome,
    durationMs: started === undefined ? undefined : Math.round((performance.now() - started) * 10) / 10,
    userId: context?.userId ?? undefined,
    ...(context && commandFields(context.commands)),
    ...line.extra,
    traceId: line.traceId,
  };
  logger[level](fields, message);
}

/**
 * The step in front of Apollo Server: with tracing on, the request's span (continuing the caller's trace
 * when it sends a `traceparent` header), made the active span for everything Apollo does with the request. It is
 * mounted after the body parser: context set before a stream is read is not seen by the stream's callbacks.
 */
export function httpOperationSpans(tracing: Tracing): NodeStep {
  if (!tracing.enabled) return (_req, _res, next) => next();
  return (req, res, next) => {
    const span = tracing.start(
      `${req.method} /graphql`,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_TRANSPORT]: 'http' } },
      req.headers,
    );
    res.once('close', () => {
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      span?.end();
    });
    tracing.within(span, next);
  };
}

/** The log line (and the span's name and outcome) of each GraphQL request over HTTP. */
export function httpOperationLog(logger: Logger, tracing: Tracing): ApolloServerPlugin<GraphQLContext> {
  // Refused before Apollo made a context (a bad token) or a request of it: no operation, only the outcome.
  const refused = (error: Error, otherwise: string) => {
    const outcome = error instanceof GraphQLError ? codeOf(error) : otherwise;
    const span = tracing.active();
    if (span) annotate(span, { fields: [] }, outcome);
    const traceId = span?.spanContext().traceId;
    logLine(logger, 'graphql request', { transport: 'http', described: { fields: [] }, outcome, traceId });
  };
  return {
    async contextCreationDidFail({ error }) {
      refused(error, 'INTERNAL_SERVER_ERROR');
    },
    async invalidRequestWasReceived({ error }) {
      refused(error, 'BAD_REQUEST');
    },
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ document, operation, response, contextValue }) {
          const body = response.body;
          const result = body.kind === 'single' ? body.singleResult : body.initialResult;
          const outcome = outcomeOf(result.errors);
          const span = tracing.active();
          // Neither a span nor a line to make: nothing else to do for this request.
          if (!span && !logger.isLevelEnabled(levelOf(outcome))) return;
          const described = describe(document, operation);
          if (span) annotate(span, described, outcome);
          logLine(logger, 'graphql request', {
            transport: 'http',
            described,
            outcome,
            started,
            context: contextValue,
            traceId: span?.spanContext().traceId,
          });
        },
      };
    },
  };
}

/** An operation on a socket, from onSubscribe until it completes. */
type WsOperation = {
  started: number;
  described: Described;
  context: GraphQLContext;
  /** The operation's span: until its result for a query or mutation, until it is set up for a subscription. */
  span: Span | undefined;
  traceId: string | undefined;
  /** A subscription that is delivering (its start has been logged). */
  open: boolean;
  messages: number;
  /** The first error an open subscription delivered (ok until then). */
  outcome: string;
};

/**
 * graphql-ws's hooks, in the order graphql-ws calls them for an operation (onSubscribe, then onOperation, onNext,
 * onError, onComplete), feeding the metrics (wsOperationMetrics), the log lines and the spans. A query or mutation
 * gets its line when its result is sent; a subscription one when it starts delivering and one when it ends (with
 * how long it was open and how many messages it sent). `execute` and `subscribe` run the operation inside its span.
 */
export function wsOperationTelemetry(deps: { metrics: Metrics; logger: Logger; tracing: Tracing }) {
  const { logger, tracing } = deps;
  const metrics = wsOperationMetrics(deps.metrics);
  const bySocket = new WeakMap<object, Map<string, WsOperation>>();
  const spans = new WeakMap<object, Span>();
  const operations = (ctx: object) => {
    let map = bySocket.get(ctx);
    if (!map) bySocket.set(ctx, (map = new Map()));
    return map;
  };
  const finish = (operation: WsOperation, outcome: string, message: string, extra?: Record<string, unknown>) => {
    const { span, described, started, context, traceId } = operation;
    if (span) {
      annotate(span, described, outcome);
      span.end();
      operation.span = undefined;
    }
    logLine(logger, message, { transport: 'ws', described, outcome, started, context, traceId, extra });
  };
  const inSpan = <R>(args: ExecutionArgs, run: () => R): R =>
    tracing.within(spans.get(args.contextValue as object), run);

  return {
    /** onSubscribe, once the operation is identified and its context made (before the guards). */
    identified(
      ctx: object,
      id: string,
      document: DocumentNode,
      operation: OperationDefinitionNode,
      context: GraphQLContext,
    ): void {
      metrics.identified(ctx, id, document, operation);
      const described = describe(document, operation);
      const span = tracing.start(spanName(described), {
        kind: SpanKind.SERVER,
        attributes: { [ATTR_TRANSPORT]: 'ws' },
      });
      if (span) spans.set(context, span);
      operations(ctx).set(id, {
        started: performance.now(),
        described,
        context,
        span,
        traceId: span?.spanContext().traceId,
        open: false,
        messages: 0,
        outcome: 'ok',
      });
    },

    /** onError: refused before execution (no operation then, if the document did not even parse), or failed while open. */
    failed(ctx: object, id: string, errors: readonly ErrorLike[]): void {
      metrics.failed(ctx, id, errors);
      const operation = bySocket.get(ctx)?.get(id);
      const outcome = outcomeOf(errors);
      if (!operation) {
        logLine(logger, 'graphql request', { transport: 'ws', described: { fields: [] }, outcome });
      } else if (operation.open) {
        if (operation.outcome === 'ok') operation.outcome = outcome;
      } else {
        finish(operation, outcome, 'graphql request');
        bySocket.get(ctx)?.delete(id);
      }
    },

    /** onOperation: an async iterable is a subscription now delivering. */
    started(ctx: object, id: string, result: unknown): void {
      metrics.started(ctx, id, result);
      const operation = bySocket.get(ctx)?.get(id);
      if (!operation || !isAsyncIterable(result)) return;
      operation.open = true;
      finish(operation, 'ok', 'subscription started');
    },

    /** onNext, with the result as it is sent. */
    next(ctx: object, id: string, result: ResultLike): void {
      metrics.next(ctx, id, result);
      const operation = bySocket.get(ctx)?.get(id);
      if (!operation) return;
      if (operation.open) {
        operation.messages++;
        if (result.errors && operation.outcome === 'ok') operation.outcome = outcomeOf(result.errors);
        return;
      }
      finish(operation, outcomeOf(result.errors), 'graphql request');
      bySocket.get(ctx)?.delete(id);
    },

    /** onComplete: a subscription ends (the client completed it, it failed, or the socket closed). */
    completed(ctx: object, id: string): void {
      metrics.completed(ctx, id);
      const operation = bySocket.get(ctx)?.get(id);
      bySocket.get(ctx)?.delete(id);
      if (operation?.open) {
        finish(operation, operation.outcome, 'subscription ended', { messages: operation.messages });
      }
    },

    execute: tracing.enabled ? (args: ExecutionArgs) => inSpan(args, () => execute(args)) : execute,

    subscribe<R>(subscribe: (args: ExecutionArgs) => R): (args: ExecutionArgs) => R {
      return tracing.enabled ? (args) => inSpan(args, () => subscribe(args)) : subscribe;
    },
  };
}
