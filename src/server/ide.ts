import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

const modules = path.resolve(__dirname, '../../node_modules');

/** Browser files of the IDE, served from node_modules so the page works with no internet. */
const ASSETS: Record<string, string> = {
  'react.js': 'react/umd/react.production.min.js',
  'react-dom.js': 'react-dom/umd/react-dom.production.min.js',
  'graphiql.js': 'graphiql/graphiql.min.js',
  'graphiql.css': 'graphiql/graphiql.min.css',
  'graphql-ws.js': 'graphql-ws/umd/graphql-ws.min.js',
};

const DEFAULT_QUERY = `# Welcome to orderstream. Run an operation with ▶ (Ctrl-Enter).
mutation Register {
  registerCustomer(input: { name: "Ada Lovelace", email: "ada@example.com" }) {
    aggregateId
    version
    customer { id name email active }
  }
}

query RecentEvents {
  events(first: 20) {
    nodes { position eventType aggregateId version timestamp payload }
    pageInfo { endCursor hasNextPage }
  }
}
`;

/**
 * The page's own script: a file, not inline, since the Content-Security-Policy (security-headers.ts) lets only this
 * server's files run. Made per request because it may carry the development admin token (see `pageAuthorization`).
 */
function startScript(authorization: string | undefined): string {
  return `const AUTHORIZATION = ${JSON.stringify(authorization ?? null)};
const url = location.origin + '/graphql';
document.getElementById('sandbox').href =
  'https://studio.apollographql.com/sandbox/explorer?endpoint=' + encodeURIComponent(url);
document.getElementById('auth').textContent = AUTHORIZATION
  ? 'Sending the development admin token: edit Headers below to act as someone else.'
  : 'Send a token under Headers below: { "authorization": "Bearer <token>" }.';
// graphql-ws sends credentials once, as it connects: one lazy client per authorization the Headers pane has held,
// so a subscription runs as whoever the pane names when it starts, as queries and mutations do.
const wsClients = new Map();
function wsClient(authorization) {
  const key = authorization || '';
  if (!wsClients.has(key)) {
    const connectionParams = authorization ? { authorization } : {};
    wsClients.set(key, graphqlWs.createClient({ url: url.replace(/^http/, 'ws'), lazy: true, connectionParams }));
  }
  return wsClients.get(key);
}
function authorizationOf(headers) {
  for (const [name, value] of Object.entries(headers || {})) {
    if (name.toLowerCase() === 'authorization') return String(value);
  }
  return undefined;
}
const fetcher = (params, options) =>
  GraphiQL.createFetcher({ url, wsClient: wsClient(authorizationOf(options && options.headers)) })(params, options);
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
    defaultHeaders: AUTHORIZATION ? JSON.stringify({ authorization: AUTHORIZATION }, null, 2) : undefined,
    // Kept in the browser, a token would outlive the key that signed it (a new data folder) and mask the fresh one.
    shouldPersistHeaders: false,
  }),
);
`;
}

const STYLE = `html, body, #graphiql { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
#bar { font: 13px system-ui, sans-serif; padding: 6px 12px; background: #f4f6f8; border-bottom: 1px solid #dde; }
#graphiql { flex: 1; }
`;

const PAGE = `<!doctype html>
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
  <script src="/ide/start.js"></script>
</body>
</html>`;

export type PageOptions = {
  /** Sent by the pages on behalf of a browser on this machine; given only with the development key. */
  adminToken?: string;
};

// 127.0.0.0/8, ::1, and IPv4 loopback as a dual-stack socket reports it.
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * The `Authorization` value a page's script should send for this request: the admin token, but only to a browser
 * on this machine (any local account that can reach the port gets it, one reason it is for development only). Not
 * through a proxy on this machine (it would hand the token to whoever it serves), and not to a script loaded by
 * another site's page (`<script src>` runs in that page, which could read what the script hands to GraphiQL).
 */
export function pageAuthorization(req: Request, options: PageOptions): string | undefined {
  if (!options.adminToken) return undefined;
  if (!LOOPBACK_ADDRESS.test(req.socket.remoteAddress ?? '')) return undefined;
  const h = req.headers;
  if (h['x-forwarded-for'] !== undefined || h.forwarded !== undefined || h['x-real-ip'] !== undefined) return undefined;
  const site = h['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return undefined;
  return `Bearer ${options.adminToken}`;
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
    if (browser) res.type('html').send(PAGE);
    else next();
  });
  router.get('/ide/start.js', (req, res) => sendPageScript(res, startScript(pageAuthorization(req, options))));
  router.get('/ide/page.css', (_req, res) => res.type('css').send(STYLE));
  for (const [name, file] of Object.entries(ASSETS)) {
    const full = path.join(modules, file);
    router.get(`/ide/${name}`, (_req, res) => res.sendFile(full, { maxAge: '1h' }));
  }
  return router;
}
