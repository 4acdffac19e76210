import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type LoggerOptions = {
  /** Human-readable lines (pino-pretty, colours on a terminal) instead of JSON lines. */
  pretty?: boolean;
};

/**
 * JSON lines by default. A line written inside a traced operation names its trace and span (`traceId`, `spanId`),
 * so a log search and a trace view lead to each other; without tracing there is never an active span, and the
 * lookup finds nothing.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const settings = { level, base: { service: 'orderstream' }, mixin: traceFields };
  if (!options.pretty) return pino(settings);
  // A transport: pino-pretty is loaded (in a worker thread) only in this mode, and pino flushes it at exit. It is a
  // development dependency, which a production install (npm ci --omit=dev) leaves out.
  try {
    return pino({
      ...settings,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
      },
    });
  } catch (error) {
    throw new Error(`LOG_PRETTY needs pino-pretty, a development dependency: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
