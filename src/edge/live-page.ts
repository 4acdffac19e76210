import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { pageAuthorization, pageScript, pageScriptQuery, sendPage, sendPageScript, type PageOptions } from './ide';

/** How many orders the live page keeps on screen (its script's MAX_ROWS). */
export const LIVE_PAGE_ROWS = 50;
/** How far back the live page's charts reach (its script's WINDOW_MINUTES). */
export const LIVE_PAGE_WINDOW_MINUTES = 5;

const script = pageScript('live.js');
// The charts' two helpers, loaded before the page's script: the same for every request (they carry no token).
const helpers = ['live-series.js', 'live-chart.js'].map((file) => pageScript(file)({})).join('\n');
const style = fs.readFileSync(path.join(__dirname, 'pages', 'live.css'), 'utf8');

// The figures' cards are in the page from the start, with room kept for their numbers and charts, so nothing moves
// when the first figures come in.
const chartCard = (id: string, title: string, unit: string, extra = '') => `
    <section class="card figure" id="${id}" aria-labelledby="${id}-title">
      <div class="head">
        <div>
          <h2 id="${id}-title">${title}</h2>
          <p class="sub" id="${id}-sub">&nbsp;</p>
        </div>
        <p class="now"><span id="${id}-now">–</span> <span class="unit">${unit}</span></p>
      </div>
      <div class="chart">
        <span class="top" id="${id}-top" aria-hidden="true"></span>
        <svg id="${id}-chart" role="img" aria-label="${title}: no figures yet"></svg>
      </div>
      <div class="axis" aria-hidden="true"><span>${LIVE_PAGE_WINDOW_MINUTES} min ago</span><span>now</span></div>${extra}
    </section>`;

const page = (scriptQuery: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>orderstream · live orders</title>
  <link rel="stylesheet" href="/live/page.css" />
</head>
<body>
  <header class="top">
    <div>
      <p class="brand">orderstream</p>
      <h1>Live orders</h1>
    </div>
    <div id="status" role="status" data-state="connecting">Connecting…</div>
  </header>
  <form id="login" hidden>
    <label for="token">Token</label>
    <input id="token" size="60" placeholder="a token: npm run token -- --role staff, or your identity provider's" />
    <button>Connect</button>
  </form>
  <main>
    <div id="figures">
      <section class="card" id="by-status" aria-labelledby="by-status-title">
        <div class="head">
          <div>
            <h2 id="by-status-title">Orders by status</h2>
            <p class="sub">as the query table has them now</p>
          </div>
          <p class="now"><span id="counts-total">–</span> <span class="unit">in all</span></p>
        </div>
        <ul id="counts"></ul>
        <p class="note" id="counts-note" hidden></p>
      </section>${chartCard('rate', 'Events per second', 'events/s')}${chartCard(
        'lag',
        'Projector lag',
        'events behind',
        `
      <ul class="legend" id="lag-legend" aria-label="Each consumer's lag now"></ul>
      <p class="note" id="lag-note" hidden></p>`,
      )}
    </div>
    <section class="card orders" aria-labelledby="orders-title">
      <div class="head"><h2 id="orders-title">Newest orders</h2></div>
      <div class="scroll">
        <table>
          <thead><tr><th scope="col">Order</th><th scope="col">Customer</th><th scope="col">Status</th><th scope="col" class="number">Items</th><th scope="col" class="amount">Total</th><th scope="col" class="time">Updated</th></tr></thead>
          <tbody id="orders"></tbody>
        </table>
      </div>
      <p class="note" id="no-orders">No orders yet: each one shows up here as it is placed.</p>
    </section>
  </main>
  <script src="/ide/graphql-ws.js"></script>
  <script src="/live/charts.js"></script>
  <script src="/live/page.js${scriptQuery}"></script>
</body>
</html>`;

/**
 * GET / (and /live): a page of the newest orders, kept current by an `ordersChanged` subscription over graphql-ws,
 * beside the orders by status, events per second (an `events` subscription that resumes where it left off) and the
 * projectors' and reactors' lag over the last minutes, drawn as inline SVG. No framework and no CDN: the graphql-ws
 * browser build is served from node_modules (see ide.ts). It sends the development admin token when the server gives
 * it one, or else a token pasted into its form.
 */
export function livePageRouter(options: PageOptions = {}): Router {
  const router = express.Router();
  router.get(['/', '/live'], (req, res) => sendPage(res, page(pageScriptQuery(req, options))));
  router.get('/live/page.js', (req, res) =>
    sendPageScript(
      res,
      script({
        AUTHORIZATION: pageAuthorization(req, options) ?? null,
        MAX_ROWS: LIVE_PAGE_ROWS,
        WINDOW_MINUTES: LIVE_PAGE_WINDOW_MINUTES,
      }),
    ),
  );
  router.get('/live/charts.js', (_req, res) => sendPageScript(res, helpers));
  router.get('/live/page.css', (_req, res) => res.type('css').send(style));
  // Browsers ask for it with every page: no icon, rather than a 404 logged as a refused request each time.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  return router;
}
