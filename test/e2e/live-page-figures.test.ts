import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumTest, hasChromium, launchChromium } from '../support/browser';
import { eventually } from '../support/eventually';
import { eventsCounted, SCREENSHOTS, seen, untilFollowing } from '../support/live-page';
import { startTestServer, type TestServer } from '../support/server';

const browserTest = chromiumTest('live page figures test');

let server: TestServer;
let browser: Browser | undefined;
let customerId: string;
beforeAll(async () => {
  server = await startTestServer();
  const data = await server.ok(
    `mutation { registerCustomer(input: { name: "Wall Display", email: "wall@example.com" }) { aggregateId } }`,
  );
  customerId = data.registerCustomer.aggregateId;
  if (hasChromium) browser = await launchChromium();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server.close();
});

/** The live page with a token of this role in its session (as if pasted into its form), once it is live. */
async function livePage(
  role: 'staff' | 'customer',
  viewport = { width: 1440, height: 900 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const { authorization } = await server.as(role === 'customer' ? { role, customerId } : { role });
  await page.addInitScript({
    content: `sessionStorage.setItem('orderstream:authorization', ${JSON.stringify(authorization)})`,
  });
  await page.goto(`${server.app.url}/live`);
  await page.waitForSelector('#status[data-state="live"]', { timeout: 30_000 });
  return { page, errors };
}

async function placeOrder(): Promise<string> {
  const data = await server.ok(
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "lamp", quantity: 3, unitPrice: "12.50" }] }) { aggregateId } }`,
    { c: customerId },
  );
  return data.placeOrder.aggregateId;
}
/** The cursor of an order's newest event. */
async function lastCursor(orderId: string): Promise<string> {
  const data = await server.ok(`query ($o: ID!) { orderHistory(orderId: $o) { cursor } }`, { o: orderId });
  return data.orderHistory.at(-1).cursor;
}
const act = (mutation: 'payOrder' | 'shipOrder' | 'cancelOrder', orderId: string) =>
  server.ok(`mutation ($o: ID!) { ${mutation}(input: { orderId: $o }) { version } }`, { o: orderId });

async function apiCounts(): Promise<Record<string, number>> {
  const data = await server.ok(`{ orderStatusCounts { status count } }`);
  return Object.fromEntries(data.orderStatusCounts.map((c: { status: string; count: number }) => [c.status, c.count]));
}
/** The counts the page shows, read from its text (and its data-count, which must say the same). */
function pageCounts(page: Page): Promise<Record<string, number>> {
  return page.$$eval('#counts li', (items) =>
    Object.fromEntries(
      items.map((item: any) => {
        const shown = Number(item.querySelector('.value').textContent.replace(/\D/g, ''));
        return [item.dataset.status, Number(item.dataset.count) === shown ? shown : NaN];
      }),
    ),
  );
}

browserTest(
  'shows the orders by status as the API counts them, events per second and each consumer’s lag, updating live',
  async () => {
    const { page, errors } = await livePage('staff');
    await untilFollowing(page, async () => lastCursor(await placeOrder()));
    const before = await eventsCounted(page);

    // Eleven events: six orders placed, three paid, one of those shipped, one of the others cancelled.
    const orders: string[] = [];
    for (let i = 0; i < 6; i++) orders.push(await placeOrder());
    for (const orderId of orders.slice(0, 3)) await act('payOrder', orderId);
    await act('shipOrder', orders[0]!);
    await act('cancelOrder', orders[5]!);
    await seen(page, await lastCursor(orders[5]!));
    expect(await eventsCounted(page)).toBe(before + 11);

    // The query table has every change once the projector has passed the last one; the page then shows its counts.
    const expected = await eventually(async () => {
      const counts = await apiCounts();
      expect(counts.CANCELLED).toBe(1);
      return counts;
    });
    expect(expected).toMatchObject({ PAID: 2, SHIPPED: 1, CANCELLED: 1 });
    await eventually(async () => expect(await pageCounts(page)).toEqual(expected), 15_000);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(await page.textContent('#counts-total')).toBe(String(total));
    expect(await page.getAttribute('#counts li[data-status="SHIPPED"]', 'title')).toContain(`1 of ${total} orders`);

    // Events per second: every event counted is in the window, and drawn.
    await eventually(async () => {
      expect(await page.textContent('#rate-sub')).toBe(`${await eventsCounted(page)} events in the last 5 min`);
      expect(await page.getAttribute('#rate-chart path.line.rate', 'd')).toMatch(/^M[\d.,]+L/);
      expect(await page.getAttribute('#rate-chart', 'aria-label')).toMatch(/events per second/i);
    }, 15_000);

    // Lag: a line and a legend entry for each projector and reactor the API lists, with its lag now.
    const consumers = await server.ok(`{ projections { name lag } reactors { name lag } }`);
    const names = [...consumers.projections, ...consumers.reactors].map((c: { name: string }) => c.name);
    await eventually(async () => {
      const legend = await page.$$eval('#lag-legend li', (items) =>
        items.map((item: any) => [item.dataset.name, Number(item.dataset.lag)]),
      );
      expect(legend.map(([name]) => name)).toEqual(names);
      for (const [, lag] of legend) expect(lag).toBe(0);
      const lines = await page.$$eval('#lag-chart path.line', (paths) => paths.map((p: any) => p.getAttribute('d')));
      expect(lines).toHaveLength(names.length);
      for (const d of lines) expect(d).toMatch(/^M[\d.,]+/);
      expect(await page.textContent('#lag-now')).toBe('0');
    }, 15_000);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'live-page.png'), fullPage: true });
    // The same page where the reader's system is set to dark.
    const background = () =>
      page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).not.toBe(light);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'live-page-dark.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  },
);

browserTest('fits a phone’s width: figures above the orders, nothing wider than the screen', async () => {
  const { page, errors } = await livePage('staff', { width: 390, height: 844 });
  await page.locator('#counts li').first().waitFor({ timeout: 15_000 });
  await page.locator('#lag-legend li').first().waitFor({ timeout: 15_000 });
  const width = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  // The orders' table too, which could scroll within its card: it shows an order's main columns without.
  await page.locator(`#orders tr[data-id="${await placeOrder()}"]`).waitFor({ timeout: 15_000 });
  const table = await page.locator('.orders .scroll').evaluate((e: any) => [e.scrollWidth, e.clientWidth]);
  expect(table[0]).toBeLessThanOrEqual(table[1]);
  const top = (selector: string) => page.locator(selector).evaluate((e: any) => e.getBoundingClientRect().top);
  expect(await top('#by-status')).toBeLessThan(await top('.orders'));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'live-page-phone.png'), fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
});

browserTest('to a customer, shows their orders and events, and says the counts and lag need staff', async () => {
  const { page, errors } = await livePage('customer');
  await page.waitForSelector('#counts-note:has-text("staff or admin token")', { timeout: 15_000 });
  expect(await page.isVisible('#lag-note')).toBe(true);
  expect(await page.locator('#counts li').count()).toBe(0);
  await untilFollowing(page, async () => lastCursor(await placeOrder()));
  expect(await page.getAttribute('#status', 'data-state')).toBe('live');
  expect(errors).toEqual([]);
  await page.close();
});
