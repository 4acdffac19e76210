// @ts-check
// The live page's own script: the newest orders, kept current by an ordersChanged subscription; beside them the
// orders by status, events per second and each consumer's lag over the last minutes (charts: live-chart.js, figures
// per second: live-series.js, loaded before this). The server serves it after lines of its own: `const
// AUTHORIZATION = …;`, the development admin token for a request that brings the page key, or null (see
// pageAuthorization in ../ide.ts), `const MAX_ROWS = …;`, how many orders it keeps on screen, and `const
// WINDOW_MINUTES = …;`, how far back the charts reach. A file, not inline, since the Content-Security-Policy lets
// only this server's files run.

const STORED = 'orderstream:authorization';
const FIELDS = 'id status itemCount total { amount currencyCode } updatedAt version customer { name }';
// Orders by status and every consumer's lag: staff and admins may read them (a customer's page shows a note).
const FIGURES = '{ orderStatusCounts { status count } projections { name lag status } reactors { name lag state } }';
// Lag is sampled this often; the counts are read again besides when an order changes, at most once a second.
const FIGURES_EVERY_MS = 2000;
const FIGURES_GAP_MS = 1000;
const WINDOW_MS = WINDOW_MINUTES * 60_000;
// Each chart point: the mean rate, or the largest lag, over this many seconds.
const STEP_MS = 5000;
// The rate shown in figures: events over the last this many seconds.
const RATE_SPAN_MS = 10_000;

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const chartOf = (/** @type {string} */ id) =>
  /** @type {SVGSVGElement} */ (document.getElementById(id)?.closest('svg'));
// The page keeps the MAX_ROWS orders that came to it last, newest on top: one more drops the row that has been there
// longest, so a page left open for days holds no more rows (nor memory) than one just opened.
const rows = new Map();
const body = byId('orders');
const statusLine = byId('status');

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
// An amount in its currency as the reader's locale writes it ("€39.90", "¥2,999", "KWD 1.234"). The amount goes to
// Intl as its decimal string, which Intl formats exactly (a Number would round one beyond 2^53).
function money(total) {
  const td = cell(
    new Intl.NumberFormat(undefined, { style: 'currency', currency: total.currencyCode }).format(total.amount),
    'amount',
  );
  td.title = total.amount + ' ' + total.currencyCode;
  return td;
}
function statusCell(orderStatus) {
  const td = cell('', 'status ' + orderStatus);
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = orderStatus;
  td.append(badge);
  return td;
}
function show(order, flash) {
  const known = rows.get(order.id);
  if (known && known.version >= order.version) return;
  const tr = document.createElement('tr');
  tr.dataset.id = order.id;
  const id = cell(order.id.slice(0, 8), 'id');
  id.title = order.id;
  tr.append(
    id,
    cell(order.customer ? order.customer.name : '', 'customer'),
    statusCell(order.status),
    cell(String(order.itemCount), 'number'),
    money(order.total),
    cell(new Date(order.updatedAt).toLocaleTimeString(), 'time'),
  );
  if (flash) tr.className = 'flash';
  if (known) known.tr.replaceWith(tr);
  else body.prepend(tr);
  rows.set(order.id, { version: order.version, tr });
  while (rows.size > MAX_ROWS) {
    rows.delete(/** @type {HTMLElement} */ (body.lastElementChild).dataset.id);
    body.lastElementChild.remove();
  }
  byId('no-orders').hidden = true;
}

// data-state (connecting, live, reconnecting, refused, error) says the same as the text, for scripts and tests.
// The body carries the state too, so that the figures can look stale while the page is away.
function setStatus(state, text) {
  statusLine.dataset.state = state;
  document.body.dataset.state = state;
  statusLine.textContent = text;
}

// Waits between reconnect attempts: doubling from 250 ms up to a cap of 5 s (?reconnectMaxMs= sets another, from
// 250 ms to 60 s), each a random time between half and all of it, so pages that lost the same server do not all
// come back at the same instant.
const requestedCap = Number(new URLSearchParams(location.search).get('reconnectMaxMs'));
const RECONNECT_CAP_MS = Math.min(Math.max(requestedCap || 5000, 250), 60000);
function backoff(attempt) {
  const ceiling = Math.min(RECONNECT_CAP_MS, 250 * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const form = byId('login');

// A token pasted into the form wins over the one the server offers; one that is refused is forgotten.
const authorization = sessionStorage.getItem(STORED) || AUTHORIZATION;
let refused = false;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = /** @type {HTMLInputElement} */ (byId('token')).value.trim();
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
    setStatus('error', 'Error: ' + message);
    return;
  }
  if (refused) return;
  refused = true;
  sessionStorage.removeItem(STORED);
  setStatus('refused', (authorization ? 'Token refused' : 'No token') + ': ' + message);
  form.hidden = false;
}

// How far the server's clock is ahead of this browser's (from each answer's Date header, to the second): event
// timestamps are the server's, the charts' "now" is the browser's.
let serverAhead = 0;
function post(query) {
  const sent = Date.now();
  return fetch('/graphql', {
    method: 'POST',
    headers: authorization
      ? { 'content-type': 'application/json', authorization }
      : { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  }).then((res) => {
    const date = Date.parse(res.headers.get('date') || '');
    // The Date header drops the milliseconds: on average half a second.
    if (date) serverAhead = date + 500 - (sent + Date.now()) / 2;
    return res.json();
  });
}

// --- Orders by status, and each consumer's lag -------------------------------------------------------------------

const lags = new Map();
const counts = byId('counts');
let figuresAsked = false;
let figuresAgain = false;
// Once the server refused the figures (a customer's token): a note says why, and they are not asked again.
let figuresRefused = false;

const label = (/** @type {string} */ name) => name.charAt(0) + name.slice(1).toLowerCase();

function showCounts(list) {
  const total = list.reduce((sum, { count }) => sum + count, 0);
  byId('counts-total').textContent = total.toLocaleString();
  for (const { status: orderStatus, count } of list) {
    let item = /** @type {HTMLElement | null} */ (counts.querySelector('[data-status="' + orderStatus + '"]'));
    if (!item) {
      item = document.createElement('li');
      item.className = 'count ' + orderStatus;
      item.dataset.status = orderStatus;
      const name = document.createElement('span');
      name.className = 'label';
      name.textContent = label(orderStatus);
      const value = document.createElement('span');
      value.className = 'value';
      const share = document.createElement('span');
      share.className = 'share';
      share.append(document.createElement('span'));
      item.append(name, value, share);
      counts.append(item);
    }
    const value = /** @type {HTMLElement} */ (item.querySelector('.value'));
    if (value.textContent !== count.toLocaleString() && value.textContent !== '') flashOnce(item);
    value.textContent = count.toLocaleString();
    item.dataset.count = String(count);
    const percent = total ? Math.round((count * 100) / total) : 0;
    item.title = count + ' of ' + total + ' orders (' + percent + '%)';
    /** @type {HTMLElement} */ (item.querySelector('.share > span')).style.width = percent + '%';
  }
}
function flashOnce(element) {
  element.classList.remove('changed');
  // Reading a layout property restarts the animation when the class comes back.
  void element.offsetWidth;
  element.classList.add('changed');
}

function sampleLags(consumers) {
  const now = Date.now();
  for (const { name, lag, state } of consumers) {
    if (!lags.has(name)) lags.set(name, { series: secondsSeries(WINDOW_MS), lag, state });
    const known = lags.get(name);
    known.series.set(now, lag);
    known.lag = lag;
    known.state = state;
  }
}

// A note in place of the figures (empty: none).
function noteFigures(message) {
  for (const id of ['counts-note', 'lag-note']) {
    byId(id).textContent = message;
    byId(id).hidden = !message;
  }
}

// One request at a time: changes while one is on its way ask again, once, a second after it is back; so a burst of
// changes costs a request a second, not one each.
function readFigures() {
  if (figuresRefused) return;
  if (figuresAsked) {
    figuresAgain = true;
    return;
  }
  figuresAsked = true;
  post(FIGURES)
    .then((result) => {
      const errors = result.errors || [];
      const codes = errors.map((e) => e.extensions && e.extensions.code);
      // Refused for this token: asking again cannot do better. Anything else (a database that did not answer)
      // may pass: the note says so until a reading comes.
      if (codes.includes('FORBIDDEN') || codes.includes('UNAUTHENTICATED')) {
        figuresRefused = true;
        return noteFigures('Orders by status and lag need a staff or admin token.');
      }
      noteFigures(result.data ? '' : 'Not available just now: ' + errors.map((e) => e.message).join('; '));
      if (!result.data) return;
      showCounts(result.data.orderStatusCounts);
      sampleLags([
        ...result.data.projections.map((p) => ({ name: p.name, lag: p.lag, state: p.status })),
        ...result.data.reactors.map((r) => ({ name: r.name, lag: r.lag, state: r.state })),
      ]);
      drawFigures();
    })
    // A server that does not answer leaves a gap in the lag chart; the next reading goes on.
    .catch(() => undefined)
    .finally(() => {
      figuresAsked = false;
      if (figuresAgain) {
        figuresAgain = false;
        setTimeout(readFigures, FIGURES_GAP_MS);
      }
    });
}

// --- Events per second ---------------------------------------------------------------------------------------

const rate = secondsSeries(WINDOW_MS);
const rateFigure = byId('rate');
let eventsSeen = 0;
// The seconds up to here were followed (the socket was up, or the subscription has since resumed past them).
let followedUntil = 0;
// The events subscription's payload: graphql-ws sends this same object again when it reconnects, so keeping its
// `after` at the cursor of the last event seen makes the new subscription resume just after it: the events of an
// outage arrive then, each counted in the second it happened.
const eventsPayload = {
  query: 'subscription ($after: String) { events(after: $after) { cursor timestamp } }',
  variables: /** @type {{ after?: string }} */ ({}),
};

function eventSeen(event) {
  eventsPayload.variables = { after: event.cursor };
  rateFigure.dataset.after = event.cursor;
  rateFigure.dataset.events = String(++eventsSeen);
  rate.add(Date.parse(event.timestamp) - serverAhead);
}

// --- Drawing ---------------------------------------------------------------------------------------------------

const LAG_COLOURS = 5;
// Projections' status and reactors' state when all is well.
const WORKING_STATES = ['RUNNING', 'WORKING', 'IDLE', 'FOLLOWING'];
const number = (/** @type {number} */ n, digits = 0) =>
  n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });

function drawFigures() {
  const now = Date.now();
  if (connected) {
    rate.cover(followedUntil || now, now);
    followedUntil = now;
  }

  const rateSteps = rate.steps(now, STEP_MS, 'mean');
  const rateTop = roundTop(Math.max(0, ...rateSteps.map((v) => v ?? 0)));
  const perSecond = rate.sum(now - RATE_SPAN_MS, now) / (RATE_SPAN_MS / 1000);
  const inWindow = rate.sum(now - WINDOW_MS, now + 1000);
  drawChart(chartOf('rate-chart'), [{ className: 'rate', steps: rateSteps }], rateTop, true);
  byId('rate-top').textContent = number(rateTop) + '/s';
  // Away, the seconds since are not known yet: no rate rather than a zero.
  byId('rate-now').textContent = connected ? number(perSecond, 1) : '–';
  byId('rate-sub').textContent =
    number(inWindow) + (inWindow === 1 ? ' event' : ' events') + ' in the last ' + WINDOW_MINUTES + ' min';
  byId('rate-chart').setAttribute(
    'aria-label',
    `Events per second over the last ${WINDOW_MINUTES} minutes: ${number(perSecond, 1)} now, ${number(inWindow)} in all`,
  );

  if (lags.size === 0) return;
  const consumers = [...lags.entries()];
  const lagSteps = consumers.map(([, { series }]) => series.steps(now, STEP_MS, 'max'));
  const lagTop = roundTop(Math.max(0, ...lagSteps.flat().map((v) => v ?? 0)));
  const largest = Math.max(...consumers.map(([, { lag }]) => lag));
  drawChart(
    chartOf('lag-chart'),
    lagSteps.map((steps, i) => ({ className: 'series-' + (i % LAG_COLOURS), steps })),
    lagTop,
    false,
  );
  byId('lag-top').textContent = number(lagTop);
  byId('lag-now').textContent = number(largest);
  byId('lag-sub').textContent = 'the furthest behind of ' + consumers.length + ' consumers';
  byId('lag-chart').setAttribute(
    'aria-label',
    `Events each consumer has still to apply, over the last ${WINDOW_MINUTES} minutes: ` +
      consumers.map(([name, { lag }]) => name + ' ' + lag).join(', '),
  );
  byId('lag-legend').replaceChildren(
    ...consumers.map(([name, { lag, state }], i) => {
      const item = document.createElement('li');
      item.className = 'series-' + (i % LAG_COLOURS);
      item.dataset.name = name;
      item.dataset.lag = String(lag);
      const title = document.createElement('span');
      title.className = 'name';
      title.textContent = name;
      const value = document.createElement('span');
      value.className = 'value';
      // A consumer at work says nothing more; one FAILED, REBUILDING, RETRYING or STOPPED says so, in red.
      const working = WORKING_STATES.includes(state);
      value.textContent = number(lag) + (working ? '' : ' · ' + state);
      if (!working) item.classList.add('trouble');
      item.append(title, value);
      return item;
    }),
  );
}

// --- The connection --------------------------------------------------------------------------------------------

const url = location.origin.replace(/^http/, 'ws') + '/graphql';
statusLine.title = url;
// Live once the socket is up and the newest orders came: an anonymous socket connects too, and only the operations
// on it are refused.
let connected = false;
let loaded = false;
let connections = 0;
let attempts = 0;
// When the socket last went down, and, once back, how long it was away (shown until the page is reloaded).
let lostAt = 0;
let awayMs = 0;
// Until the subscription ends for good (refused, or an error graphql-ws does not retry): nothing reconnects after.
let following = true;
function showLive() {
  if (!(connected && loaded && !refused)) return;
  setStatus('live', awayMs ? 'Live · resumed after ' + Math.round(awayMs / 1000) + ' s away' : 'Live');
}
function showReconnecting() {
  if (following && !refused)
    setStatus(
      'reconnecting',
      'Reconnecting…' + (attempts ? ' (attempt ' + attempts + ')' : '') + ' · will resume where it left off',
    );
}

// No subscription tells of what changed while the socket was down: each connection, the first and every one after an
// outage, starts by loading the newest orders over HTTP (rows the page has are brought up to their newer versions,
// and flash). A query the server did not answer is tried again, with the same waits, while this socket lasts.
function load(connection, failures) {
  post('{ orders(first: ' + MAX_ROWS + ') { nodes { ' + FIELDS + ' } } }')
    .then((result) => {
      if (connection !== connections) return;
      if (!result.data || !result.data.orders) return failed(result.errors);
      result.data.orders.nodes
        .slice()
        .reverse()
        .forEach((order) => show(order, connection > 1));
      loaded = true;
      showLive();
      readFigures();
    })
    .catch(() => {
      if (connection === connections && connected) wait(backoff(failures)).then(() => load(connection, failures + 1));
    });
}

const client = graphqlWs.createClient({
  url,
  connectionParams: authorization ? { authorization } : {},
  // By default graphql-ws stops after 5 attempts, and at the first connection that fails with an error rather than a
  // close (a server that is down refuses it so): this page keeps trying, with the waits above, for as long as it is
  // open. 4403, a refused token, is the exception: the same token cannot do better, so the form asks for another.
  // (graphql-ws never retries 4401, an expired token, whatever this says.)
  retryAttempts: Infinity,
  shouldRetry: (/** @type {{ code?: number } | undefined} */ event) => !(event && event.code === 4403),
  retryWait: (attempt) => wait(backoff(attempt)),
  on: {
    connecting: (isRetry) => {
      if (!isRetry) return;
      statusLine.dataset.attempts = String(++attempts);
      showReconnecting();
    },
    // Runs before graphql-ws subscribes again on the new socket, so the events subscription resumes from the
    // payload as this leaves it.
    connected: () => {
      if (lostAt) {
        awayMs = Date.now() - lostAt;
        // Away for longer than the charts reach back: the events of the outage would only be counted to be
        // dropped, so the subscription starts at the head of the log instead, and the outage stays a gap.
        if (awayMs > WINDOW_MS) eventsPayload.variables = {};
        else rate.cover(followedUntil, Date.now());
        followedUntil = Date.now();
      }
      connected = true;
      loaded = false;
      attempts = 0;
      statusLine.dataset.attempts = '0';
      load(++connections, 0);
    },
    closed: () => {
      if (connected) lostAt = Date.now();
      connected = false;
      showReconnecting();
    },
  },
});
client.subscribe(
  { query: 'subscription { ordersChanged { ' + FIELDS + ' } }' },
  {
    next: (result) => {
      if (result.errors) return failed(result.errors);
      show(result.data.ordersChanged, true);
      readFigures();
    },
    error: (errors) => {
      following = false;
      failed(errors);
    },
    complete: () => {
      following = false;
    },
  },
);
client.subscribe(eventsPayload, {
  next: (result) => (result.errors ? failed(result.errors) : eventSeen(result.data.events)),
  error: failed,
  complete: () => undefined,
});

// Read while the socket is up and the token proved good (the orders came): an outage leaves a gap in the lag chart.
setInterval(() => connected && loaded && readFigures(), FIGURES_EVERY_MS);
setInterval(drawFigures, 1000);
drawFigures();
