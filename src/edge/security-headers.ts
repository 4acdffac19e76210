import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { NodeStep } from './graphql-post';

/**
 * Headers on every response (helmet, for its well-kept defaults): `nosniff` everywhere, and on the pages (IDE, live
 * page) a Content-Security-Policy under which only this server's own files run. The pages therefore keep no
 * inline script or style: they load theirs from the server (ide.ts, live-page.ts).
 */
export function securityHeaders(): NodeStep {
  const headers = recorded(helmetStep());
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * The headers a helmet middleware sets, recorded once: with no directive a function of the request, they are the same
 * for every response, and helmet's twelve middlewares per request cost more than the headers (docs/performance.md).
 */
function recorded(step: ReturnType<typeof helmet>): [string, string][] {
  const headers: [string, string][] = [];
  const response = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    // Only X-Powered-By, which neither express (told not to, pipeline.ts) nor Node sends.
    removeHeader: () => undefined,
  };
  let done = false;
  step({} as IncomingMessage, response as unknown as ServerResponse, () => (done = true));
  if (!done || headers.length === 0) throw new Error('helmet did not set its headers synchronously');
  return headers;
}

function helmetStep() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        // Neither page is meant to be framed (clickjacking); X-Frame-Options DENY says the same to old browsers.
        'frame-ancestors': ["'none'"],
        // 'self' admits ws:// and wss:// to this host too (CSP level 3), which the pages' graphql-ws clients need.
        'connect-src': ["'self'"],
        'style-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        // The service speaks plain HTTP on loopback by default: upgrading its requests to https would break the pages.
        'upgrade-insecure-requests': null,
      },
    },
    xFrameOptions: { action: 'deny' },
    // TLS, when there is any, ends in front of this service, and HSTS is that proxy's decision: sent from here over
    // https://localhost it would pin every port of localhost to https for a year.
    strictTransportSecurity: false,
  });
}
