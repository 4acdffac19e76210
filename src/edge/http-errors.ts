import { STATUS_CODES, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ErrorCode } from '../shared/errors';

/**
 * Codes of the requests refused outside GraphQL execution (docs/api.md, "Errors"), answered in the same JSON shape
 * as a GraphQL error, so that a client has one way to read every failure.
 */
export type HttpErrorCode = Extract<
  ErrorCode,
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR'
>;

/** `extensions`: client-safe fields beside the code (a limit's name and size). */
export type Refusal = { status: number; code: HttpErrorCode; message: string; extensions?: Record<string, unknown> };

function errorBody({ code, message, extensions }: Refusal): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
}

/** The one log line of a refused request; the path is the client's, so it is cut short. */
export function logRefusal(
  logger: Logger,
  refusal: Refusal,
  req: { method?: string; url?: string },
  detail: { reason?: string; err?: unknown } = {},
): void {
  const fields = {
    status: refusal.status,
    code: refusal.code,
    method: req.method,
    path: req.url?.split('?')[0]?.slice(0, 200),
    ...detail,
  };
  if (refusal.status >= 500) logger.error(fields, 'request failed');
  else logger.info(fields, 'request refused');
}

/** Where a response refused outside GraphQL keeps its code, for the step that counts every answer (pipeline.ts). */
const REFUSED = Symbol('refused');

/** The code a response was refused with by sendRefusal; undefined for any other answer. */
export function refusedCode(res: ServerResponse): HttpErrorCode | undefined {
  return (res as ServerResponse & { [REFUSED]?: HttpErrorCode })[REFUSED];
}

/**
 * Answers a refused request with its status and the JSON error body every refusal shares. On Node's own response,
 * so that POST /graphql, served without express (graphql-post.ts), answers its refusals as the express routes do.
 */
export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  (res as ServerResponse & { [REFUSED]?: HttpErrorCode })[REFUSED] = refusal.code;
  res.statusCode = refusal.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(errorBody(refusal));
}

/**
 * For a request that has no Express response (a WebSocket upgrade, or one Node's parser refused): a complete HTTP
 * response on the raw socket, then close.
 */
export function refuseOnSocket(socket: Duplex, refusal: Refusal): void {
  const body = errorBody(refusal);
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `X-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * Node's own refusals of what its HTTP parser cannot take (headers over its size limit, a request not complete
 * within HTTP_REQUEST_TIMEOUT_MS or HTTP_HEADERS_TIMEOUT_MS, malformed HTTP) would otherwise be bare status lines
 * with empty bodies. Nothing is written to a socket that has already had a response begun on it.
 */
export function answerClientErrors(server: Server, logger: Logger, refused: (code: HttpErrorCode) => void): void {
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex) => {
    // A peer that went away: nothing to answer, nothing to log.
    const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    const refusal = clientErrorRefusal(error.code);
    logRefusal(logger, refusal, {}, { reason: error.code ?? error.message });
    refused(refusal.code);
    refuseOnSocket(socket, refusal);
  });
}

function clientErrorRefusal(code: string | undefined): Refusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
        message: "The request headers are over the server's size limit",
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in time' };
    default:
      return { status: 400, code: 'BAD_REQUEST', message: 'Malformed HTTP request' };
  }
}

const BODY_SHAPE = 'The request body must be a JSON object: { "query": "…", "variables": { … }, "operationName": "…" }';

/**
 * GraphQL over HTTP takes JSON in UTF-8 (the GraphQL-over-HTTP spec). Checked before the body is read, so that a
 * body in another charset is refused rather than decoded into something else, and a large one is not read at all.
 */
export function requireJsonBody(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (jsonOrNoBody(req.headers)) return next();
    const refusal: Refusal = {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Send the request body as Content-Type: application/json (UTF-8)',
    };
    logRefusal(logger, refusal, req, { reason: req.headers['content-type']?.slice(0, 100) ?? 'no content type' });
    sendRefusal(res, refusal);
  };
}

/** Whether requireJsonBody lets the request through: no body, or a body in JSON (UTF-8). */
export function jsonOrNoBody(headers: IncomingHttpHeaders): boolean {
  const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] ?? '0') !== '0';
  return !hasBody || isUtf8Json(headers['content-type']);
}

function isUtf8Json(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"|"$/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/** After every route: a path nothing serves. */
export function notFound(logger: Logger): RequestHandler {
  return (req, res) => {
    const refusal: Refusal = {
      status: 404,
      code: 'NOT_FOUND',
      message: 'Nothing is served at this path; the GraphQL API is at /graphql',
    };
    logRefusal(logger, refusal, req);
    sendRefusal(res, refusal);
  };
}

/**
 * Last in the chain: whatever a middleware passed on (body-parser's errors above all) becomes a JSON error with a
 * code, and one log line. Without it Express answers with an HTML page holding the stack trace, and prints the
 * stack to stderr.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => refuseFailed(logger, error, req, res);
}

/** What errorHandler does with a failed request, for a handler outside express too. */
export function refuseFailed(
  logger: Logger,
  error: unknown,
  req: { method?: string; url?: string; socket: Duplex },
  res: ServerResponse,
): void {
  const refusal = refusalFor(error);
  // The detail of an unexpected error is for the log only.
  logRefusal(logger, refusal, req, refusal.status >= 500 ? { err: error } : { reason: errorType(error) });
  if (res.headersSent) {
    // Part of a response is out: nothing coherent can follow it.
    req.socket.destroy();
    return;
  }
  sendRefusal(res, refusal);
}

function refusalFor(error: unknown): Refusal {
  switch (errorType(error)) {
    case 'entity.parse.failed':
      return { status: 400, code: 'BAD_REQUEST', message: BODY_SHAPE };
    case 'entity.too.large': {
      const limit = (error as { limit?: number }).limit;
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: `The request body is over the limit of ${limit} bytes`,
      };
    }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Encoding or charset' };
  }
  const status = statusOf(error);
  if (status === 404) return { status, code: 'NOT_FOUND', message: 'Not found' };
  if (status >= 400 && status < 500)
    return { status, code: 'BAD_REQUEST', message: STATUS_CODES[status] ?? 'Bad request' };
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}

/** body-parser (and http-errors) tag their errors with `type` and `status`. */
function errorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

function statusOf(error: unknown): number {
  const status =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
