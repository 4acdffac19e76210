import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { LIVE_PAGE_ROWS } from '../../src/edge/live-page';
import { startChildServer, type ChildServer } from '../support/child-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { chromiumTest, hasChromium, launchChromium } from '../support/browser';
import { eventsCounted, SCREENSHOTS, seen, untilFollowing } from '../support/live-page';

const browserTest = chromiumTest('live page restart test');

// The page's longest wait between reconnect attempts (its default is 5 s): short, so that it makes more attempts
// than graphql-ws's default 5 within a few seconds of outage.
const RECONNECT_MAX_MS = 500;

let db: TestDatabase;
let dataDir: string;
// Two instances on one database: `a` serves the page and is stopped and started again; `b` takes orders meanwhile.
let a: ChildServer;
let b: ChildServer;
let browser: Browser | undefined;
let authorization: string;
let customerId: string;

// As `npm start` runs (no AUTH_*: development tokens, the admin one sent by the pages opened with the page key),
// with one data folder for both instances, so one development key: the token the page holds stays good on a
// restarted `a` (whose page key is a new one).
function start(port = 0): Promise<ChildServer> {
  return startChildServer(db.url, { AUTH_JWT_SECRET: undefined, DATA_DIR: dataDir, PORT: String(port) });
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await res.json()) as { data?: any; errors?: unknown };
  expect(result.errors).toBeUndefined();
  return result.data;
}

async function placeOrder(url: string): Promise<string> {
  const data = await gql(
    url,
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "lamp", quantity: 1, unitPrice: "9.95" }] }) { aggregateId } }`,
    { c: customerId },
  );
  return data.placeOrder.aggregateId;
}

/** The cursor of an order's newest event. */
async function lastCursor(url: string, orderId: string): Promise<string> {
  const data = await gql(url, `query ($o: ID!) { orderHistory(orderId: $o) { cursor } }`, { o: orderId });
  return data.orderHistory.at(-1).cursor;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderstream-restart-'));
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // One after the other: the first start makes the development key and customer the second then finds.
  a = await start();
  b = await start();
  // The development admin token, as the live page opened with the page key `a` printed gets it.
  const script = await (
    await fetch(`${a.url}/live/page.js?key=${await a.pageKey}`, { headers: { 'sec-fetch-site': 'same-origin' } })
  ).text();
  authorization = JSON.parse(/^const AUTHORIZATION = (.*);$/m.exec(script)![1]!) as string;
  expect(authorization).toMatch(/^Bearer /);
  const data = await gql(
    a.url,
    `mutation { registerCustomer(input: { name: "Night Owl", email: "owl@example.com" }) { aggregateId } }`,
  );
  customerId = data.registerCustomer.aggregateId;
  if (hasChromium) {
    browser = await launchChromium();
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * The live page served by `a`, once it is live. Uncaught errors are recorded; console errors are not, since
 * Chromium logs every refused WebSocket connection there, and refusals are what these tests bring about.
 */
async function liveOnA(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${a.url}/live?reconnectMaxMs=${RECONNECT_MAX_MS}&key=${await a.pageKey}`);
  await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
  return { page, errors };
}

const row = (page: Page, orderId: string) => page.locator(`#orders tr[data-id="${orderId}"]`);
const rowCount = (page: Page) => page.locator('#orders tr').count();

describe.each(['SIGKILL', 'SIGTERM'] as const)('when its server goes away (%s) and comes back', (signal) => {
  browserTest(
    'the live page keeps reconnecting, shows what changed while it was away, then follows along again',
    async () => {
      const { page, errors } = await liveOnA();
      const shown = await placeOrder(a.url);
      await row(page, shown).waitFor({ timeout: 15_000 });
      await untilFollowing(page, async () => lastCursor(a.url, await placeOrder(a.url)));
      const counted = await eventsCounted(page);

      const port = Number(new URL(a.url).port);
      await a.stop(signal);
      await page.waitForSelector('#status[data-state="reconnecting"]', { timeout: 15_000 });

      // While the page's server is down: a new order, and a change to one the page shows, through the other instance.
      const placedMeanwhile = await placeOrder(b.url);
      await gql(b.url, `mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: shown });

      // More attempts than graphql-ws makes by default (5): a page with its defaults would have given up by now.
      // (A function, not a string: the page's Content-Security-Policy forbids eval.)
      await page.waitForFunction(
        (n) => Number((globalThis as any).document.getElementById('status').dataset.attempts) > n,
        7,
        { timeout: 30_000 },
      );
      expect(await page.getAttribute('#status', 'data-state')).toBe('reconnecting');
      await page.screenshot({ path: path.join(SCREENSHOTS, 'live-page-reconnecting.png') });

      a = await start(port);
      await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
      // Neither reached the page over its subscription, which was down: the query it makes on reconnecting shows them.
      await row(page, placedMeanwhile).waitFor({ timeout: 15_000 });
      await row(page, shown).locator('td.PAID').waitFor({ timeout: 15_000 });
      // The two events of the outage reach its events figure once each: that subscription resumed just after the
      // last event it had counted, neither from the head of the log (it would miss them) nor from where it began.
      await seen(page, await lastCursor(b.url, shown));
      expect(await eventsCounted(page)).toBe(counted + 2);
      expect(await page.textContent('#status')).toMatch(/^Live · resumed after \d+ s away$/);

      const placedAfter = await placeOrder(a.url);
      await row(page, placedAfter).waitFor({ timeout: 15_000 });
      expect(await rowCount(page)).toBeLessThanOrEqual(LIVE_PAGE_ROWS);
      expect(errors).toEqual([]);
      await page.close();
    },
  );
});

browserTest(`keeps the newest ${LIVE_PAGE_ROWS} orders and drops older rows`, async () => {
  const { page, errors } = await liveOnA();
  const placed: string[] = [];
  for (let i = 0; i < LIVE_PAGE_ROWS + 5; i++) placed.push(await placeOrder(i % 2 ? a.url : b.url));

  const newest = placed.slice(-LIVE_PAGE_ROWS);
  for (const orderId of newest) await row(page, orderId).waitFor({ timeout: 15_000 });
  expect(await rowCount(page)).toBe(LIVE_PAGE_ROWS);
  for (const orderId of placed.slice(0, 5)) expect(await row(page, orderId).count()).toBe(0);
  // Newest on top.
  expect(await page.locator('#orders tr').first().getAttribute('data-id')).toBe(placed.at(-1));
  expect(errors).toEqual([]);
  await page.close();
});

browserTest('does not reconnect with a token the server refused (4403): it asks for another', async () => {
  const page = await browser!.newPage();
  await page.addInitScript({
    content: `sessionStorage.setItem('orderstream:authorization', 'Bearer not-a-token')`,
  });
  const sockets: unknown[] = [];
  page.on('websocket', (socket) => sockets.push(socket));
  await page.goto(`${a.url}/live?reconnectMaxMs=${RECONNECT_MAX_MS}`);
  // The page gets here only once graphql-ws has given the close up as final: a retried one keeps it reconnecting.
  await page.waitForSelector('#status[data-state="refused"]', { timeout: 15_000 });
  expect(await page.textContent('#status')).toContain('4403');
  expect(await page.isVisible('#login')).toBe(true);
  expect(sockets).toHaveLength(1);
  await page.close();
});
