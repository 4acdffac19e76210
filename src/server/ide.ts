import path from 'node:path';
import express, { type Router } from 'express';

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

// The page's own script and style are files of their own, not inline: the Content-Security-Policy
// (security-headers.ts) lets only this server's files run.
const START_SCRIPT = `const url = location.origin + '/graphql';
document.getElementById('sandbox').href =
  'https://studio.apollographql.com/sandbox/explorer?endpoint=' + encodeURIComponent(url);
const wsClient = graphqlWs.createClient({ url: url.replace(/^http/, 'ws'), lazy: true });
const fetcher = GraphiQL.createFetcher({ url, wsClient });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)} }),
);
`;

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
    <a id="sandbox" target="_blank" rel="noopener">Open in Apollo Sandbox</a> (needs internet)</div>
  <div id="graphiql">Loading…</div>
  <script src="/ide/react.js"></script>
  <script src="/ide/react-dom.js"></script>
  <script src="/ide/graphql-ws.js"></script>
  <script src="/ide/graphiql.js"></script>
  <script src="/ide/start.js"></script>
</body>
</html>`;

/** GET /graphql from a browser and /ide/*: a self-hosted GraphiQL, since Apollo's default page loads from a CDN. */
export function ideRouter(): Router {
  const router = express.Router();
  router.get('/graphql', (req, res, next) => {
    // A browser navigating here asks for HTML; GraphQL-over-GET clients send a query and ask for JSON.
    const browser = req.query.query === undefined && (req.headers.accept ?? '').includes('text/html');
    if (browser) res.type('html').send(PAGE);
    else next();
  });
  router.get('/ide/start.js', (_req, res) => res.type('js').send(START_SCRIPT));
  router.get('/ide/page.css', (_req, res) => res.type('css').send(STYLE));
  for (const [name, file] of Object.entries(ASSETS)) {
    const full = path.join(modules, file);
    router.get(`/ide/${name}`, (_req, res) => res.sendFile(full, { maxAge: '1h' }));
  }
  return router;
}
