import http from 'node:http';
import { unlistedError } from './error-codes';

export type RawAnswer = { status: number; headers: http.IncomingHttpHeaders; body: any };

/**
 * A GraphQL POST through node:http rather than fetch, for what fetch will not let a test set: the Host header, or
 * the local address the request leaves from (all of 127/8 is loopback, so each address is a caller of its own).
 * Rejects if an error's code or rule is not in the schema's enums.
 */
export function rawGraphqlPost(
  url: string,
  body: unknown,
  { headers = {}, localAddress }: { headers?: Record<string, string>; localAddress?: string } = {},
): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const answer = { status: res.statusCode!, headers: res.headers, body: JSON.parse(text) };
          const unlisted = unlistedError(answer.body?.errors);
          return unlisted ? reject(unlisted) : resolve(answer);
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A GET through node:http, as rawGraphqlPost (a JSON body's errors checked as it does), answering with the body as text. */
export function rawGet(
  url: string,
  { headers = {} }: { headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const json = res.headers['content-type']?.startsWith('application/json') ?? false;
          const unlisted = json ? unlistedError(JSON.parse(text)?.errors) : undefined;
          return unlisted ? reject(unlisted) : resolve({ status: res.statusCode!, headers: res.headers, text });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
