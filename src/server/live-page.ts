import express, { type Router } from 'express';

// Script and style are served as files, not inline, for the Content-Security-Policy (security-headers.ts).
const SCRIPT = `const FIELDS = 'id status itemCount totalAmount updatedAt version customer { name }';
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

const url = location.origin.replace(/^http/, 'ws') + '/graphql';
const client = graphqlWs.createClient({
  url,
  retryAttempts: Infinity,
  on: {
    connected: () => (status.textContent = 'live · ' + url),
    closed: () => (status.textContent = 'reconnecting…'),
  },
});
client.subscribe(
  { query: 'subscription { ordersChanged { ' + FIELDS + ' } }' },
  { next: (result) => result.data && show(result.data.ordersChanged, true), error: console.error, complete() {} },
);
fetch('/graphql', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: '{ orders(first: 50) { nodes { ' + FIELDS + ' } } }' }),
})
  .then((res) => res.json())
  .then((result) => result.data.orders.nodes.slice().reverse().forEach((order) => show(order, false)));
`;

const STYLE = `body { font: 14px system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 4px; }
#status { color: #667; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6ee; }
th { background: #f4f6f8; }
td.amount { text-align: right; font-variant-numeric: tabular-nums; }
tr.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: #fff3c4; } to { background: transparent; } }
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
 * graphql-ws. No framework and no CDN: the graphql-ws browser build is served from node_modules (see ide.ts).
 */
export function livePageRouter(): Router {
  const router = express.Router();
  router.get(['/', '/live'], (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/live/page.js', (_req, res) => res.type('js').send(SCRIPT));
  router.get('/live/page.css', (_req, res) => res.type('css').send(STYLE));
  // Browsers ask for it with every page: no icon, rather than a 404 logged as a refused request each time.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  return router;
}
