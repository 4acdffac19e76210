import helmet from 'helmet';
import type { NodeStep } from './graphql-post';

/**
 * Headers on every response (helmet, for its well-kept defaults): `nosniff` everywhere, and on the pages (IDE, live
 * page) a Content-Security-Policy under which only this server's own files run. The pages therefore keep no
 * inline script or style: they load theirs from the server (ide.ts, live-page.ts).
 */
export function securityHeaders(): NodeStep {
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
