import express, { type Router } from 'express';
import { pageAuthorization, sendPageScript, type PageOptions } from './ide';

// Script and style are served as files, not inline, for the Content-Security-Policy (security-headers.ts); the script
// is made per request, since it may carry the development admin token (ide.ts, `pageAuthorization`).
function pageScript(authorization: string | undefined): string {
  return `const AUTHORIZATION = ${JSON.stringify(authorization ?? null)};
const STORED = 'orderstream:authorization';
const FIELDS = 'id status itemCount totalAmount updatedAt version customer { name }';
const rows = new Map();
const body = document.getElementById('orders');
const status = document.getElementById('status');

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
function show(order, flash) {
  const known = rows.get(order.id);
  if (known && known.version >= order.version) return;
  const tr = document.createElement('tr');
  tr.dataset.id = order.id;
  tr.append(
    cell(order.id.slice(0, 8)),
    cell(order.customer ? order.customer.name : ''),
    cell(order.status, order.status),
    cell(String(order.itemCount)),
    cell(order.totalAmount, 'amount'),
    cell(new Date(order.updatedAt).toLocaleTimeString()),
  );
  if (flash) tr.className = 'flash';
  if (known) known.tr.replaceWith(tr);
  else body.prepend(tr);
  rows.set(order.id, { version: order.version, tr });
}

const form = document.getElementById('login');

// A token pasted into the form wins over the one the server offers; one that is refused is forgotten.
const authorization = sessionStorage.getItem(STORED) || AUTHORIZATION;
let refused = false;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = document.getElementById('token').value.trim();
  if (!token) return;
  sessionStorage.setItem(STORED, /^bearer /i.test(token) ? token : 'Bearer ' + token);
  location.reload();
});
// errors: a GraphQL errors array or, from graphql-ws, the socket's close event.
function failed(errors) {
  const list = Array.isArray(errors) ? errors : [];
  const closed = errors && typeof errors.code === 'number';
  const message = closed
    ? 'connection closed (' + errors.code + (errors.reason ? ', ' + errors.reason : '') + ')'
    : list.map((e) => e.message).join('; ') || String(errors);
  const auth = closed
    ? errors.code === 4401 || errors.code === 4403
    : list.some((e) => e.extensions && ['UNAUTHENTICATED', 'FORBIDDEN'].includes(e.extensions.code));
  if (!auth) {
    console.error(errors);
    status.textContent = 'error: ' + message;
    return;
  }
  if (refused) return;
  refused = true;
  sessionStorage.removeItem(STORED);
  status.textContent = (authorization ? 'token refused' : 'no token') + ': ' + message;
  form.hidden = false;
}

const url = location.origin.replace(/^http/, 'ws') + '/graphql';
// Live once the socket is up and the first page of orders came: an anonymous socket connects too, and only the
// operations on it are refused.
let connected = false;
let loaded = false;
function showLive() {
  if (connected && loaded && !refused) status.textContent = 'live · ' + url;
}
const client = graphqlWs.createClient({
  url,
  retryAttempts: Infinity,
  connectionParams: authorization ? { authorization } : {},
  // 4403: the token was refused; 4401: it expired. Connecting again with the same one cannot help.
  shouldRetry: (event) => !(event && (event.code === 4401 || event.code === 4403)),
  on: {
    connected: () => {
      connected = true;
      showLive();
    },
    closed: () => {
      connected = false;
      if (!refused) status.textContent = 'reconnecting…';
    },
  },
});
client.subscribe(
  { query: 'subscription { ordersChanged { ' + FIELDS + ' } }' },
  {
    next: (result) => (result.errors ? failed(result.errors) : show(result.data.ordersChanged, true)),
    error: failed,
    complete() {},
  },
);
fetch('/graphql', {
  method: 'POST',
  headers: authorization ? { 'content-type': 'application/json', authorization } : { 'content-type': 'application/json' },
  body: JSON.stringify({ query: '{ orders(first: 50) { nodes { ' + FIELDS + ' } } }' }),
})
  .then((res) => res.json())
  .then((result) => {
    if (!result.data || !result.data.orders) return failed(result.errors);
    result.data.orders.nodes.slice().reverse().forEach((order) => show(order, false));
    loaded = true;
    showLive();
  });
`;
}

const STYLE = `body { font: 14px system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 4px; }
#status { color: #667; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6ee; }
th { background: #f4f6f8; }
td.amount { text-align: right; font-variant-numeric: tabular-nums; }
tr.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: #fff3c4; } to { background: transparent; } }
#login { margin-bottom: 16px; }
.PLACED { color: #1f6feb; } .PAID { color: #8250df; } .SHIPPED { color: #1a7f37; } .CANCELLED { color: #cf222e; }
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>orderstream · live orders</title>
  <link rel="stylesheet" href="/live/page.css" />
</head>
<body>
  <h1>Live orders</h1>
  <div id="status">connecting…</div>
  <form id="login" hidden>
    <input id="token" size="60" placeholder="a token: npm run token -- --role staff, or your identity provider's" />
    <button>Connect</button>
  </form>
  <table>
    <thead><tr><th>Order</th><th>Customer</th><th>Status</th><th>Items</th><th>Total</th><th>Updated</th></tr></thead>
    <tbody id="orders"></tbody>
  </table>
  <script src="/ide/graphql-ws.js"></script>
  <script src="/live/page.js"></script>
</body>
</html>`;

/**
 * GET / (and /live): a small page listing the newest orders, kept current by an `ordersChanged` subscription over
 * graphql-ws. No framework and no CDN: the graphql-ws browser build is served from node_modules (see ide.ts). It
 * sends the development admin token when the server gives it one, or else a token pasted into its form.
 */
export function livePageRouter(options: PageOptions = {}): Router {
  const router = express.Router();
  router.get(['/', '/live'], (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/live/page.js', (req, res) => sendPageScript(res, pageScript(pageAuthorization(req, options))));
  router.get('/live/page.css', (_req, res) => res.type('css').send(STYLE));
  // Browsers ask for it with every page: no icon, rather than a 404 logged as a refused request each time.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  return router;
}
