import type { Attributes, Link, Span, SpanKind } from '@opentelemetry/api';

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): what an event stores in its metadata and what a
 * message or a request carries as headers, so that whatever it causes later, elsewhere, links back to it.
 */
export type TraceContext = { traceparent: string; tracestate?: string };

export type SpanSpec = {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** A new trace rather than a child of the active span (work that serves many operations links to them instead). */
  root?: boolean;
  /**
   * Tells a refusal (the caller's error, such as a business rule) from a fault: its code becomes the span's
   * `error.type` and the span's status stays unset; anything else is recorded as an exception with status ERROR.
   */
  refusal?: (error: unknown) => string | undefined;
};

/**
 * The app's tracer, handed to what starts spans (never read from the OpenTelemetry globals, so that two servers in
 * one process, as in the tests, each report to their own provider). Off (TRACING_OFF) every method is a constant
 * answer: no span, no context, no serialisation, and callers test `enabled` before building anything costly.
 */
export type Tracing = {
  readonly enabled: boolean;
  /** `fn` inside a new span, a child of the active one, ended when `fn` returns or its promise settles. */
  span<T>(name: string, spec: SpanSpec, fn: (span: Span | undefined) => T): T;
  /** A span that the caller ends: a child of the remote context in `carrier` (headers) if valid, else of the active one. */
  start(name: string, spec: SpanSpec, carrier?: Readonly<Record<string, unknown>>): Span | undefined;
  /** `fn` with `span` as the active span (so spans started inside are its children). */
  within<T>(span: Span | undefined, fn: () => T): T;
  /** The active span, if any. */
  active(): Span | undefined;
  /** The active span's context as W3C fields, to store or send with what it causes. */
  current(): TraceContext | undefined;
  /**
   * Links to the trace contexts events or messages carry, one per distinct context: how a span that handles many
   * of them at once (a projector batch, a publish) ties back to each operation that caused them.
   */
  linksTo(carriers: Iterable<Readonly<Partial<TraceContext>> | undefined>): Link[];
  /** Ends the provider: spans still buffered are exported first. */
  shutdown(): Promise<void>;
};

export const TRACING_OFF: Tracing = Object.freeze({
  enabled: false,
  span: <T>(_name: string, _spec: SpanSpec, fn: (span: Span | undefined) => T): T => fn(undefined),
  start: () => undefined,
  within: <T>(_span: Span | undefined, fn: () => T): T => fn(),
  active: () => undefined,
  current: () => undefined,
  linksTo: () => [],
  shutdown: async () => undefined,
});

/** The trace-context fields of stored metadata or message headers, when they hold a traceparent. */
export function traceContextOf(source: Readonly<Record<string, unknown>> | undefined): TraceContext | undefined {
  const traceparent = source?.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = source?.tracestate;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}
