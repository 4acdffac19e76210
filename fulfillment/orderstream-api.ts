import type { Tracing } from './tracing';

/**
 * What orderstream answered to one shipOrder call:
 * - `shipped`: the order is shipped by this command (the first time, or a repeat of the same commandId, which the
 *   API answers with the first result and appends nothing);
 * - `refused`: a refusal no retry can change (the order was cancelled, does not exist, …): record it, move on;
 * - `conflict`: IDEMPOTENCY_CONFLICT, the commandId was used before, by this service's identity, for another
 *   command: nothing about the order; the same command under another key may well ship it;
 * - `retry`: the call may succeed later (network, 5xx, rate limit, a token problem): do not acknowledge.
 */
export type ShipResult =
  | { kind: 'shipped'; version: number; eventIds: string[] }
  | { kind: 'refused'; code: string; rule?: string; message: string }
  | { kind: 'conflict'; message: string }
  | { kind: 'retry'; reason: string; afterMs?: number };

export type ShipRequest = { orderId: string; commandId: string; correlationId: string };

export type OrderstreamApi = { shipOrder(request: ShipRequest): Promise<ShipResult> };

// Only the command's own result: no `order`, so the answer does not wait for orderstream's read models.
const SHIP_ORDER = `mutation ShipOrder($input: ShipOrderInput!) {
  shipOrder(input: $input) { aggregateId version events { eventId eventType } }
}`;

/**
 * Refusals about the order itself: sending the same command again gives the same answer. IDEMPOTENCY_CONFLICT is
 * about the key, not the order (`conflict`). Everything else (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED,
 * CONCURRENCY_CONFLICT, INTERNAL_SERVER_ERROR, unknown codes) is about the moment or the service's set-up, and
 * acknowledging would lose the shipment, so those are retried.
 */
const FINAL = new Set(['NOT_FOUND', 'BUSINESS_RULE_VIOLATION', 'BAD_USER_INPUT']);

type GraphQLError = { message?: string; extensions?: { code?: string; rule?: string; retryAfterMs?: number } };
type Answer = {
  data?: { shipOrder?: { version: number; events: { eventId: string }[] } | null } | null;
  errors?: GraphQLError[];
};

export function createOrderstreamApi(options: {
  url: string;
  /** A staff bearer token; when it expires, calls are refused UNAUTHENTICATED and retried until it is replaced. */
  token: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** The call is a span, and its context goes out as `traceparent`: the mutation joins the message's trace. */
  tracing: Pick<Tracing, 'calling'>;
}): OrderstreamApi {
  const endpoint = `${options.url}/graphql`;
  const send = options.fetch ?? fetch;
  const attributes = {
    'http.request.method': 'POST',
    'url.full': endpoint,
    'graphql.operation.type': 'mutation',
    'graphql.operation.name': 'ShipOrder',
  };
  return {
    shipOrder: (request) => options.tracing.calling('POST /graphql', attributes, (trace) => shipOrder(request, trace)),
  };

  async function shipOrder(request: ShipRequest, trace: Record<string, string>): Promise<ShipResult> {
    let status: number;
    let answer: Answer;
    try {
      const res = await send(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${options.token}`,
          ...trace,
        },
        body: JSON.stringify({ query: SHIP_ORDER, variables: { input: request } }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = res.status;
      const text = await res.text();
      try {
        answer = JSON.parse(text) as Answer;
      } catch {
        return { kind: 'retry', reason: `HTTP ${status} with a body that is not JSON` };
      }
    } catch (error) {
      // Refused connection, reset, DNS, timeout: the command may or may not have been applied; the same
      // commandId next time makes that question moot.
      return { kind: 'retry', reason: `orderstream unreachable: ${describe(error)}` };
    }
    const shipped = answer.data?.shipOrder;
    // A committed command is the answer even if something else in the response failed.
    if (shipped) return { kind: 'shipped', version: shipped.version, eventIds: shipped.events.map((e) => e.eventId) };
    const error = answer.errors?.[0];
    const code = error?.extensions?.code;
    if (code === 'IDEMPOTENCY_CONFLICT') return { kind: 'conflict', message: error?.message ?? code };
    if (code && FINAL.has(code)) {
      return { kind: 'refused', code, rule: error?.extensions?.rule, message: error?.message ?? code };
    }
    return {
      kind: 'retry',
      reason: `HTTP ${status}${code ? ` ${code}` : ''}: ${error?.message ?? 'no result and no error'}`,
      afterMs: code === 'RATE_LIMITED' ? error?.extensions?.retryAfterMs : undefined,
    };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
