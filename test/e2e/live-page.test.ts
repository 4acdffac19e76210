import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request } from 'express';
import type { Browser, Page } from 'playwright-core';
import { pageAuthorization } from '../../src/server/ide';
import { startTestServer, type TestServer } from '../support/server';
import { chromiumTest, hasChromium, launchChromium } from '../support/browser';

const browserTest = chromiumTest('live page browser test');

let server: TestServer;
let browser: Browser | undefined;
let dataDir: string;
beforeAll(async () => {
  // Out of the box, as `npm start` runs: no AUTH_* (the test server's own secret taken away again), a development key
  // in a data folder of the test's own, whose admin token the pages send from loopback.
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderstream-pages-'));
  const env: Record<string, string | undefined> = { AUTH_JWT_SECRET: undefined, DATA_DIR: dataDir };
  server = await startTestServer(env as Record<string, string>);
  expect(server.app.services.auth.mode).toBe('development');
  if (hasChromium) {
    browser = await launchChromium();
  }
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function placeOrder(name: string): Promise<string> {
  const customer = await server.gql(
    `mutation ($n: String!) { registerCustomer(input: { name: $n, email: "bb@example.com" }) { aggregateId } }`,
    { n: name },
  );
  const placed = await server.gql(
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "lamp", quantity: 2, unitPrice: "19.95" }] }) { aggregateId } }`,
    { c: customer.data!.registerCustomer.aggregateId },
  );
  return placed.data!.placeOrder.aggregateId;
}

/** The page script as the server serves it to this (loopback) caller, and the Authorization it carries. */
async function pageScript(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.app.url}${url}`, { headers });
  const script = await res.text();
  const authorization = JSON.parse(/^const AUTHORIZATION = (.*);$/m.exec(script)![1]!) as string | null;
  return { res, authorization };
}

/** A new page that records uncaught errors and every console error (Chromium reports CSP violations there). */
async function watchedPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, errors };
}

browserTest('shows an order placed over HTTP on the live page, and its status as it changes', async () => {
  const { page, errors } = await watchedPage();
  await page.goto(`${server.app.url}/live`);
  await page.waitForSelector('#status:has-text("live")');

  const orderId = await placeOrder('Browser Buyer');
  const row = page.locator(`tr[data-id="${orderId}"]`);
  await row.waitFor({ timeout: 15_000 });
  expect(await row.textContent()).toContain('Browser Buyer');
  expect(await row.textContent()).toContain('39.90');
  expect(await row.textContent()).toContain('PLACED');

  await server.gql(`mutation ($o: ID!) { payOrder(input: { orderId: $o }) { version } }`, { o: orderId });
  await page.locator(`tr[data-id="${orderId}"] td.PAID`).waitFor({ timeout: 15_000 });
  expect(errors).toEqual([]);
});

browserTest('renders the IDE under its Content-Security-Policy, with no violation, and loads the schema', async () => {
  const { page, errors } = await watchedPage();
  // Chromium reports a blocked script, style or connection as a console error; also count the DOM's own event.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
  });
  const introspection = page.waitForResponse(
    (res) => res.url().endsWith('/graphql') && res.request().method() === 'POST',
  );
  await page.goto(`${server.app.url}/graphql`);
  expect((await introspection).status()).toBe(200);
  await page
    .locator('.graphiql-query-editor .CodeMirror')
    .filter({ hasText: 'Welcome to orderstream' })
    .waitFor({ timeout: 15_000 });
  expect(await page.locator('#sandbox').getAttribute('href')).toContain('studio.apollographql.com/sandbox');
  expect(errors).toEqual([]);
});

describe('the development admin token in the pages', () => {
  it.each(['/ide/start.js', '/live/page.js'])('%s carries it to a same-origin page on this machine', async (url) => {
    const { res, authorization } = await pageScript(url, { 'sec-fetch-site': 'same-origin' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(authorization).toMatch(/^Bearer /);
    expect(await server.app.services.auth.verify(authorization!.slice('Bearer '.length))).toMatchObject({
      role: 'admin',
    });
  });

  it.each([
    ['another site including the script', { 'sec-fetch-site': 'cross-site' }],
    ['another port of this machine', { 'sec-fetch-site': 'same-site' }],
    ['a proxy on this machine', { 'x-forwarded-for': '203.0.113.7' }],
    ['a proxy on this machine (RFC 7239)', { forwarded: 'for=203.0.113.7' }],
  ])('is not given to %s', async (_who, headers) => {
    for (const url of ['/ide/start.js', '/live/page.js']) {
      const { res, authorization } = await pageScript(url, headers);
      expect(res.status).toBe(200);
      expect(authorization).toBeNull();
    }
  });

  const req = (remoteAddress: string) => ({ socket: { remoteAddress }, headers: {} }) as unknown as Request;
  it('is given only to loopback addresses, and only when there is one', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(pageAuthorization(req(address), { adminToken: 't0k' })).toBe('Bearer t0k');
    }
    for (const address of ['10.0.0.1', '192.168.1.20', '::ffff:10.0.0.1', 'fe80::1', '::', '0.0.0.0', '']) {
      expect(pageAuthorization(req(address), { adminToken: 't0k' })).toBeUndefined();
    }
    expect(pageAuthorization(req('127.0.0.1'), {})).toBeUndefined();
  });

  browserTest('shows it in the IDE Headers pane, and subscriptions run in the IDE carry it too', async () => {
    const { page, errors } = await watchedPage();
    const introspection = page.waitForResponse(
      (res) => res.url().endsWith('/graphql') && res.request().method() === 'POST',
    );
    await page.goto(`${server.app.url}/graphql`);
    // Sent with the admin token; the run button works once the schema is in.
    expect((await introspection).request().headers().authorization).toMatch(/^Bearer /);
    const headers = page.locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden)');
    await headers.filter({ hasText: 'Bearer' }).waitFor({ timeout: 15_000 });
    expect(await headers.textContent()).toContain('"authorization": "Bearer ');

    // graphql-ws: credentials travel in connection_init, not as a header; an anonymous subscription is refused.
    // CodeMirror 5 hangs its editor on its element; the expression runs in the page (this project has no DOM types).
    await page.evaluate(
      `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(${JSON.stringify(
        'subscription Live { ordersChanged { id status } }',
      )})`,
    );
    // Until GraphiQL has parsed the new text it still sees the two default operations, and its button opens a menu.
    await page.locator('button.graphiql-execute-button:not([aria-haspopup])').click();
    await page.locator('button.graphiql-execute-button[aria-label^="Stop"]').waitFor();
    const result = page.locator('section.result-window');
    // Subscribed once the socket is up; an order placed from then on shows up in the result pane.
    let orderId = '';
    for (let attempt = 0; attempt < 30 && !orderId; attempt++) {
      const placed = await placeOrder('IDE Subscriber');
      try {
        await result.filter({ hasText: placed }).waitFor({ timeout: 1000 });
        orderId = placed;
      } catch {
        // The subscription was not up yet: place another.
      }
    }
    expect(orderId).not.toBe('');
    expect(await result.textContent()).not.toContain('UNAUTHENTICATED');
    expect(errors).toEqual([]);
  });

  browserTest(
    'without it (here: through a proxy), the live page asks for a token and works with the one given',
    async () => {
      const { page } = await watchedPage();
      await page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.7' });
      await page.goto(`${server.app.url}/live`);
      await page.waitForSelector('#status:has-text("no token")');
      const staff = await server.token({ role: 'staff' });
      await page.fill('#token', staff);
      await page.click('#login button');
      await page.waitForSelector('#status:has-text("live")');
      const orderId = await placeOrder('Proxied Viewer');
      await page.locator(`tr[data-id="${orderId}"]`).waitFor({ timeout: 15_000 });
    },
  );
});
