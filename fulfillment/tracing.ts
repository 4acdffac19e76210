import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { FulfillmentConfig } from './config';

/**
 * The service's traces: each message it handles is a span continuing the trace its headers carry (orderstream
 * puts the W3C `traceparent` of the append that recorded the event there), and the call to orderstream is a span
 * whose context goes out as the request's `traceparent`, so the OrderShipped event's own append, and everything
 * after it, join the trace of the payment that caused it.
 */
export type Tracing = {
  /**
   * Handling one message: a consumer span, the child of the context in `headers` (a new trace without one).
   * `outcome` names what became of it.
   */
  processing<T>(message: Message, fn: () => Promise<T>, outcome: (result: T) => string): Promise<T>;
  /** A call to another service: a client span; `fn` gets the headers that carry its context. */
  calling<T>(name: string, attributes: Attributes, fn: (headers: Record<string, string>) => Promise<T>): Promise<T>;
  /** Exports what is still buffered, then ends. */
  shutdown(): Promise<void>;
};

export type Message = {
  system: 'nats' | 'rabbitmq';
  /** The subject or queue it came from. */
  destination: string;
  /** Its headers: `traceparent` and `tracestate` are read. */
  headers: Readonly<Record<string, unknown>> | undefined;
  messageId?: string;
  attempt: number;
};

const OFF: Tracing = {
  processing: (_message, fn) => fn(),
  calling: (_name, _attributes, fn) => fn({}),
  shutdown: async () => undefined,
};

/**
 * Off (no SDK loaded) unless an OTLP endpoint is configured or a test passes span processors. The SDK reads the
 * rest of the standard variables itself (OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS, …).
 */
export async function startTracing(
  config: FulfillmentConfig['tracing'],
  spanProcessors?: SpanProcessor[],
): Promise<Tracing> {
  if (!config && !spanProcessors) return OFF;
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, resources, sdk] = await Promise.all([
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
  ]);
  const provider = new sdk.NodeTracerProvider({
    resource: resources
      .defaultResource()
      .merge(resources.detectResources({ detectors: [resources.envDetector] }))
      .merge(resources.resourceFromAttributes({ 'service.name': config?.serviceName ?? 'fulfillment' })),
    spanProcessors: spanProcessors ?? [new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: config?.url }))],
  });
  // The AsyncLocalStorage context manager: the call to orderstream, made deep inside the handling of a message,
  // sees the message's span as the active one.
  provider.register();
  const tracer = provider.getTracer('fulfillment');
  const propagator = new W3CTraceContextPropagator();

  const run = async <T>(span: Span, fn: () => Promise<T>): Promise<T> => {
    try {
      return await context.with(trace.setSpan(context.active(), span), fn);
    } catch (error) {
      span.recordException(error instanceof Error ? error : new Error(String(error)));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  };

  return {
    processing(message, fn, outcome) {
      const parent = message.headers
        ? propagator.extract(ROOT_CONTEXT, message.headers, defaultTextMapGetter)
        : undefined;
      const span = tracer.startSpan(
        `process ${message.destination}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': message.system,
            'messaging.operation.type': 'process',
            'messaging.destination.name': message.destination,
            'messaging.message.id': message.messageId,
            'messaging.message.delivery_attempt': message.attempt,
          },
        },
        parent ?? ROOT_CONTEXT,
      );
      return run(span, async () => {
        const result = await fn();
        span.setAttribute('fulfillment.outcome', outcome(result));
        return result;
      });
    },

    calling(name, attributes, fn) {
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
      return run(span, () => {
        const headers: Record<string, string> = {};
        propagator.inject(context.active(), headers, defaultTextMapSetter);
        return fn(headers);
      });
    },

    shutdown: () => provider.shutdown(),
  };
}
