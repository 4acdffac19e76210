import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from '../config';
import { traceContextOf, type SpanSpec, type TraceContext, type Tracing } from './tracing';

/** The SDK's default limit of links per span: a batch of 500 events links to the first 128 distinct contexts. */
const MAX_LINKS = 128;

/**
 * The OpenTelemetry SDK, for when tracing is on: a provider exporting over OTLP/HTTP (protobuf) to `config.url`,
 * or to the span processors a test passes instead. The SDK's packages are loaded here, on demand: a service with
 * tracing off never loads them (about 17 MB and a few hundred milliseconds of start-up).
 *
 * `register()` installs the AsyncLocalStorage context manager, which is what makes a span started in a callee (the
 * append) a child of the caller's (the GraphQL operation) without passing contexts around; it also makes this
 * provider the global one for libraries instrumented with the API. The app itself uses only the tracer it holds.
 */
export async function startTracing(
  config: TracingConfig | undefined,
  spanProcessors?: SpanProcessor[],
): Promise<Tracing> {
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, resources, sdk, { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME }] =
    await Promise.all([
      import('@opentelemetry/core'),
      import('@opentelemetry/exporter-trace-otlp-proto'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const provider = new sdk.NodeTracerProvider({
    resource: resources
      .defaultResource()
      .merge(resources.detectResources({ detectors: [resources.envDetector] }))
      .merge(resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: config?.serviceName ?? 'orderstream' })),
    sampler: samplerOf(sdk, config),
    spanProcessors: spanProcessors ?? [new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: config?.url }))],
  });
  provider.register();
  const tracer = provider.getTracer('orderstream');
  const propagator = new W3CTraceContextPropagator();

  const extract = (carrier: Readonly<Record<string, unknown>> | undefined) => {
    if (!carrier) return undefined;
    const remote = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    const spanContext = trace.getSpanContext(remote);
    return spanContext && isSpanContextValid(spanContext) ? remote : undefined;
  };

  const failed = (span: Span, error: unknown, refusal: SpanSpec['refusal']) => {
    const code = refusal?.(error);
    if (code !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, code);
      return;
    }
    const exception = error instanceof Error ? error : new Error(String(error));
    span.recordException(exception);
    span.setAttribute(ATTR_ERROR_TYPE, exception.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
  };

  return {
    enabled: true,

    span<T>(name: string, spec: SpanSpec, fn: (span: Span | undefined) => T): T {
      return tracer.startActiveSpan(name, options(spec), (span) => {
        let result: T;
        try {
          result = fn(span);
        } catch (error) {
          failed(span, error, spec.refusal);
          span.end();
          throw error;
        }
        if (!(result instanceof Promise)) {
          span.end();
          return result;
        }
        return result.then(
          (value: unknown) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            failed(span, error, spec.refusal);
            span.end();
            throw error;
          },
        ) as T;
      });
    },

    start: (name, spec, carrier) => tracer.startSpan(name, options(spec), extract(carrier) ?? context.active()),

    within: (span, fn) => (span ? context.with(trace.setSpan(context.active(), span), fn) : fn()),

    active: () => trace.getActiveSpan(),

    current(): TraceContext | undefined {
      const carrier: Record<string, string> = {};
      propagator.inject(context.active(), carrier, defaultTextMapSetter);
      return traceContextOf(carrier);
    },

    linksTo(carriers) {
      const seen = new Set<string>();
      const links: Link[] = [];
      for (const carrier of carriers) {
        const traceparent = carrier?.traceparent;
        if (typeof traceparent !== 'string' || seen.has(traceparent)) continue;
        seen.add(traceparent);
        const spanContext = trace.getSpanContext(extract(carrier) ?? ROOT_CONTEXT);
        if (spanContext) links.push({ context: spanContext });
        if (links.length >= MAX_LINKS) break;
      }
      return links;
    },

    shutdown: () => provider.shutdown(),
  };
}

function options({ kind, attributes, links, root }: SpanSpec): SpanOptions {
  return { kind, attributes, links, root };
}

/** OTEL_TRACES_SAMPLER, as the specification names its values (parentbased_always_on by default). */
function samplerOf(sdk: typeof import('@opentelemetry/sdk-trace-node'), config: TracingConfig | undefined): Sampler {
  const ratio = new sdk.TraceIdRatioBasedSampler(config?.samplerRatio ?? 1);
  switch (config?.sampler ?? 'parentbased_always_on') {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio });
  }
}
