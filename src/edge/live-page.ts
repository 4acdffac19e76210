import express, { type Router } from 'express';
import { pageAuthorization, pageScript, pageScriptQuery, sendPage, sendPageScript, type PageOptions } from './ide';

/** How many orders the live page keeps on screen (its script's MAX_ROWS). */
export const LIVE_PAGE_ROWS = 50;

const script = pageScript('live.js');

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

const page = (scriptQuery: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>orderstream · live orders</title>
  <link rel="stylesheet" href="/live/page.css" />
</head>
<body>
  <h1>Live orders</h1>
  <div id="status" data-state="connecting">connecting…</div>
  <form id="login" hidden>
    <input id="token" size="60" placeholder="a token: npm run token -- --role staff, or your identity provider's" />
    <button>Connect</button>
  </form>
  <table>
    <thead><tr><th>Order</th><th>Customer</th><th>Status</th><th>Items</th><th>Total</th><th>Updated</th></tr></thead>
    <tbody id="orders"></tbody>
  </table>
  <script src="/ide/graphql-ws.js"></script>
  <script src="/live/page.js${scriptQuery}"></script>
</body>
</html>`;

/**
 * GET / (and /live): a small page listing the newest orders, kept current by an `ordersChanged` subscription over
 * graphql-ws. No framework and no CDN: the graphql-ws browser build is served from node_modules (see ide.ts). It
 * sends the development admin token when the server gives it one, or else a token pasted into its form.
 */
export function livePageRouter(options: PageOptions = {}): Router {
  const router = express.Router();
  router.get(['/', '/live'], (req, res) => sendPage(res, page(pageScriptQuery(req, options))));
  router.get('/live/page.js', (req, res) =>
    sendPageScript(res, script({ AUTHORIZATION: pageAuthorization(req, options) ?? null, MAX_ROWS: LIVE_PAGE_ROWS })),
  );
  router.get('/live/page.css', (_req, res) => res.type('css').send(STYLE));
  // Browsers ask for it with every page: no icon, rather than a 404 logged as a refused request each time.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  return router;
}
