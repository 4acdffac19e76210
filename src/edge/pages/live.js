// @ts-check
// The live page's own script: the newest orders, kept current by an ordersChanged subscription. The server serves
// it after lines of its own: `const AUTHORIZATION = …;`, the development admin token for a request that brings the
// page key, or null (see pageAuthorization in ../ide.ts), and `const MAX_ROWS = …;`, how many orders it keeps on
// screen. A file, not inline, since the Content-Security-Policy lets only this server's files run.

const STORED = 'orderstream:authorization';
const FIELDS = 'id status itemCount total { amount currencyCode } updatedAt version customer { name }';
// The page keeps the MAX_ROWS orders that came to it last, newest on top: one more drops the row that has been there
// longest, so a page left open for days holds no more rows (nor memory) than one just opened.
const rows = new Map();
const body = document.getElementById('orders');
const status = document.getElementById('status');

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
    money(order.total),
    cell(new Date(order.updatedAt).toLocaleTimeString()),
  );
  if (flash) tr.className = 'flash';
  if (known) known.tr.replaceWith(tr);
  else body.prepend(tr);
  rows.set(order.id, { version: order.version, tr });
  while (rows.size > MAX_ROWS) {
    rows.delete(/** @type {HTMLElement} */ (body.lastElementChild).dataset.id);
    body.lastElementChild.remove();
  }
}

// data-state (connecting, live, reconnecting, refused, error) says the same as the text, for scripts and tests.
function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
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

const form = document.getElementById('login');

// A token pasted into the form wins over the one the server offers; one that is refused is forgotten.
const authorization = sessionStorage.getItem(STORED) || AUTHORIZATION;
let refused = false;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = /** @type {HTMLInputElement} */ (document.getElementById('token')).value.trim();
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
    setStatus('error', 'error: ' + message);
    return;
  }
  if (refused) return;
  refused = true;
  sessionStorage.removeItem(STORED);
  setStatus('refused', (authorization ? 'token refused' : 'no token') + ': ' + message);
  form.hidden = false;
}

const url = location.origin.replace(/^http/, 'ws') + '/graphql';
// Live once the socket is up and the newest orders came: an anonymous socket connects too, and only the operations
// on it are refused.
let connected = false;
let loaded = false;
let connections = 0;
let attempts = 0;
// Until the subscription ends for good (refused, or an error graphql-ws does not retry): nothing reconnects after.
let following = true;
function showLive() {
  if (connected && loaded && !refused) setStatus('live', 'live · ' + url);
}
function showReconnecting() {
  if (following && !refused)
    setStatus('reconnecting', 'reconnecting…' + (attempts ? ' (attempt ' + attempts + ')' : ''));
}

// No subscription tells of what changed while the socket was down: each connection, the first and every one after an
// outage, starts by loading the newest orders over HTTP (rows the page has are brought up to their newer versions,
// and flash). A query the server did not answer is tried again, with the same waits, while this socket lasts.
function load(connection, failures) {
  fetch('/graphql', {
    method: 'POST',
    headers: authorization
      ? { 'content-type': 'application/json', authorization }
      : { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ orders(first: ' + MAX_ROWS + ') { nodes { ' + FIELDS + ' } } }' }),
  })
    .then((res) => res.json())
    .then((result) => {
      if (connection !== connections) return;
      if (!result.data || !result.data.orders) return failed(result.errors);
      result.data.orders.nodes
        .slice()
        .reverse()
        .forEach((order) => show(order, connection > 1));
      loaded = true;
      showLive();
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
      status.dataset.attempts = String(++attempts);
      showReconnecting();
    },
    connected: () => {
      connected = true;
      loaded = false;
      attempts = 0;
      status.dataset.attempts = '0';
      load(++connections, 0);
    },
    closed: () => {
      connected = false;
      showReconnecting();
    },
  },
});
client.subscribe(
  { query: 'subscription { ordersChanged { ' + FIELDS + ' } }' },
  {
    next: (result) => (result.errors ? failed(result.errors) : show(result.data.ordersChanged, true)),
    error: (errors) => {
      following = false;
      failed(errors);
    },
    complete: () => {
      following = false;
    },
  },
);
