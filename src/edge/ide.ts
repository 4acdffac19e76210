import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';
import { sameSecret } from './secrets';

const modules = path.resolve(__dirname, '../../node_modules');

/** Browser files of the IDE, served from node_modules so the page works with no internet. */
const ASSETS: Record<string, string> = {
  'react.js': 'react/umd/react.production.min.js',
  'react-dom.js': 'react-dom/umd/react-dom.production.min.js',
  'graphiql.js': 'graphiql/graphiql.min.js',
  'graphiql.css': 'graphiql/graphiql.min.css',
  'graphql-ws.js': 'graphql-ws/umd/graphql-ws.min.js',
};

/**
 * A page script from ./pages, served after the constants it reads (declared in pages/globals.d.ts): a file, not
 * inline, since the Content-Security-Policy (security-headers.ts) lets only this server's files run. Its text is
 * read once; the constants are per request, since one may be the development admin token (see
 * `pageAuthorization`).
 */
export function pageScript(file: string): (constants: Record<string, unknown>) => string {
  const source = fs.readFileSync(path.join(__dirname, 'pages', file), 'utf8');
  return (constants) =>
    Object.entries(constants)
      .map(([name, value]) => `const ${name} = ${JSON.stringify(value)};\n`)
      .join('') + source;
}

const startScript = pageScript('ide.js');

const STYLE = `html, body, #graphiql { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
#bar { font: 13px system-ui, sans-serif; padding: 6px 12px; background: #f4f6f8; border-bottom: 1px solid #dde; }
#graphiql { flex: 1; }
`;

const page = (scriptQuery: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>orderstream · GraphiQL</title>
  <link rel="stylesheet" href="/ide/graphiql.css" />
  <link rel="stylesheet" href="/ide/page.css" />
</head>
<body>
  <div id="bar">orderstream GraphQL IDE (works offline) ·
    <a id="sandbox" target="_blank" rel="noopener">Open in Apollo Sandbox</a> (needs internet) ·
    <span id="auth"></span></div>
  <div id="graphiql">Loading…</div>
  <script src="/ide/react.js"></script>
  <script src="/ide/react-dom.js"></script>
  <script src="/ide/graphql-ws.js"></script>
  <script src="/ide/graphiql.js"></script>
  <script src="/ide/start.js${scriptQuery}"></script>
</body>
</html>`;

export type PageOptions = {
  /**
   * Development keys only: the admin token the pages send, and the key (random per process start, printed by `npm
   * start` in the pages' URLs) a request must bring to be given it.
   */
  development?: { adminToken: string; key: string };
};

// 127.0.0.0/8, ::1, and IPv4 loopback as a dual-stack socket reports it.
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Whether this request may be handed the development admin token: it brings the page key in its URL (`?key=`), which
 * only someone who read the server's console has. A peer address proves nothing: socat, `ssh -L`, `kubectl
 * port-forward` or a proxy on this machine all connect from loopback on behalf of whoever reaches them, and forward
 * any header and cookie too. The key is never a cookie: a browser would send that to every port of this host and
 * with every request, asked for or not, where a URL reaches only the pages the user opened and the scripts they
 * load. Loopback (and no proxy header) is still required, so that a key that leaks reaches the token only from this
 * machine.
 */
function bringsPageKey(req: Request, key: string): boolean {
  const given = req.query.key;
  if (typeof given !== 'string' || !sameSecret(key, given)) return false;
  if (!LOOPBACK_ADDRESS.test(req.socket.remoteAddress ?? '')) return false;
  const h = req.headers;
  return h['x-forwarded-for'] === undefined && h.forwarded === undefined && h['x-real-ip'] === undefined;
}

/**
 * The `Authorization` value a page's script should send for this request: the admin token, to a request that brings
 * the page key (see bringsPageKey), and not to a script loaded by another site's page (`<script src>` runs in that
 * page, which could read what the script hands to GraphiQL).
 */
export function pageAuthorization(req: Request, options: PageOptions): string | undefined {
  const { development } = options;
  if (!development || !bringsPageKey(req, development.key)) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return undefined;
  return `Bearer ${development.adminToken}`;
}

/**
 * What a page appends to its script's URL: the page key when the page was opened with it, so that the script it
 * loads carries the token; nothing otherwise. Only the server's own key is ever written into a page.
 */
export function pageScriptQuery(req: Request, options: PageOptions): string {
  const { development } = options;
  return development && bringsPageKey(req, development.key) ? `?key=${encodeURIComponent(development.key)}` : '';
}

/** A page made for one request (it may carry the page key): never kept by a cache. */
export function sendPage(res: Response, html: string): void {
  res.set('Cache-Control', 'no-store');
  res.type('html').send(html);
}

/** A page script made for one request: never kept by a cache, and readable only by this server's own pages. */
export function sendPageScript(res: Response, script: string): void {
  res.set({ 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' });
  res.type('js').send(script);
}

/** GET /graphql from a browser and /ide/*: a self-hosted GraphiQL, since Apollo's default page loads from a CDN. */
export function ideRouter(options: PageOptions = {}): Router {
  const router = express.Router();
  router.get('/graphql', (req, res, next) => {
    // A browser navigating here asks for HTML; GraphQL-over-GET clients send a query and ask for JSON.
    const browser = req.query.query === undefined && (req.headers.accept ?? '').includes('text/html');
    if (browser) sendPage(res, page(pageScriptQuery(req, options)));
    else next();
  });
  router.get('/ide/start.js', (req, res) =>
    sendPageScript(res, startScript({ AUTHORIZATION: pageAuthorization(req, options) ?? null })),
  );
  router.get('/ide/page.css', (_req, res) => res.type('css').send(STYLE));
  for (const [name, file] of Object.entries(ASSETS)) {
    const full = path.join(modules, file);
    router.get(`/ide/${name}`, (_req, res) => res.sendFile(full, { maxAge: '1h' }));
  }
  return router;
}
