import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Request } from 'express';
import type { Browser, Page } from 'playwright-core';
import { pageAuthorization } from '../../src/edge/ide';
import { rawGet } from '../support/raw-http';
import { startTestServer, type TestServer } from '../support/server';
import { chromiumTest, hasChromium, launchChromium } from '../support/browser';

const browserTest = chromiumTest('live page browser test');

let server: TestServer;
let browser: Browser | undefined;
let dataDir: string;
beforeAll(async () => {
  // Out of the box, as `npm start` runs: no AUTH_* (the test server's own secret taken away again), a development key
  // in a data folder of the test's own, whose admin token the pages send when opened with the page key.
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

async function placeOrder(name: string, currency = 'EUR', unitPrice = '19.95'): Promise<string> {
  const customer = await server.gql(
    `mutation ($n: String!) { registerCustomer(input: { name: $n, email: "bb@example.com" }) { aggregateId } }`,
    { n: name },
  );
  const placed = await server.gql(
    `mutation ($c: ID!, $cur: CurrencyCode, $p: Decimal!) {
      placeOrder(input: { customerId: $c, currency: $cur, items: [{ productId: "lamp", quantity: 2, unitPrice: $p }] }) { aggregateId }
    }`,
    { c: customer.data!.registerCustomer.aggregateId, cur: currency, p: unitPrice },
  );
  return placed.data!.placeOrder.aggregateId;
}

/** The page key `npm start` prints in the pages' URLs, as a query string. */
const withKey = () => `?key=${server.app.pageKey!}`;

/** The Authorization a page script carries (null for none). */
const carried = (script: string) => JSON.parse(/^const AUTHORIZATION = (.*);$/m.exec(script)![1]!) as string | null;

/** The page script as the server serves it to this (loopback) caller, and the Authorization it carries. */
async function pageScript(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.app.url}${url}`, { headers });
  return { res, authorization: carried(await res.text()) };
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
  await page.goto(`${server.app.url}/live${withKey()}`);
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

browserTest('shows each total in its currency, as the browser’s Intl writes it', async () => {
  const { page, errors } = await watchedPage();
  await page.goto(`${server.app.url}/live${withKey()}`);
  await page.waitForSelector('#status:has-text("live")');
  const orders: [string, string, string][] = [
    [await placeOrder('Yen Buyer', 'JPY', '2999'), '5998', 'JPY'],
    [await placeOrder('Dinar Buyer', 'KWD', '1.234'), '2.468', 'KWD'],
    [await placeOrder('Euro Buyer', 'EUR', '0.05'), '0.10', 'EUR'],
  ];
  for (const [orderId, amount, currency] of orders) {
    const total = page.locator(`tr[data-id="${orderId}"] td.amount`);
    await total.waitFor({ timeout: 15_000 });
    const written = await page.evaluate(
      ([a, c]) => new Intl.NumberFormat(undefined, { style: 'currency', currency: c! }).format(a as `${number}`),
      [amount, currency],
    );
    expect(await total.textContent()).toBe(written);
    expect(await total.getAttribute('title')).toBe(`${amount} ${currency}`);
  }
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
  const SCRIPTS = ['/ide/start.js', '/live/page.js'];
  // Each HTML page and the script it loads.
  const PAGES: [string, string][] = [
    ['/graphql', '/ide/start.js'],
    ['/', '/live/page.js'],
    ['/live', '/live/page.js'],
  ];
  const scriptOf = (html: string, script: string) => {
    const src = new RegExp(`<script src="(${script.replace(/[.]/g, '\\.')}[^"]*)"`).exec(html);
    return src![1]!;
  };

  it.each(SCRIPTS)('%s carries it to a same-origin page on this machine that brings the page key', async (url) => {
    const { res, authorization } = await pageScript(`${url}${withKey()}`, { 'sec-fetch-site': 'same-origin' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(authorization).toMatch(/^Bearer /);
    expect(await server.app.services.auth.verify(authorization!.slice('Bearer '.length))).toMatchObject({
      role: 'admin',
    });
  });

  it.each(PAGES)(
    '%s opened with the page key passes it on to its script, which then carries the token',
    async (url, script) => {
      const res = await fetch(`${server.app.url}${url}${withKey()}`, { headers: { accept: 'text/html' } });
      expect(res.headers.get('cache-control')).toBe('no-store');
      const src = scriptOf(await res.text(), script);
      expect(src).toBe(`${script}${withKey()}`);
      expect((await pageScript(src, { 'sec-fetch-site': 'same-origin' })).authorization).toMatch(/^Bearer /);
    },
  );

  // What a relay on this machine (socat, ssh -L, kubectl port-forward, a proxy that adds no header) brings: a
  // loopback peer, a loopback Host, and whatever the browser on the far side sent, short of the key it never saw.
  it.each([
    ['without the page key', ''],
    ['with a wrong page key', '?key=not-the-key'],
    ['with a key of the same length', `?key=${'A'.repeat(32)}`],
  ])('is not given %s, from loopback with Host: localhost, to the pages or their scripts', async (_how, query) => {
    const host = `localhost:${new URL(server.app.url).port}`;
    for (const [url, script] of PAGES) {
      const html = await rawGet(`${server.app.url}${url}${query}`, { headers: { host, accept: 'text/html' } });
      expect(html.status).toBe(200);
      expect(scriptOf(html.text, script)).toBe(script);
      expect(html.text).not.toContain(server.app.pageKey!);
    }
    for (const url of SCRIPTS) {
      const res = await rawGet(`${server.app.url}${url}${query}`, {
        headers: { host, 'sec-fetch-site': 'same-origin' },
      });
      expect(res.status).toBe(200);
      expect(carried(res.text)).toBeNull();
      expect(res.text).not.toContain(server.app.developmentTokens!.admin);
    }
  });

  it.each([
    ['another site including the script', { 'sec-fetch-site': 'cross-site' }],
    ['another port of this machine', { 'sec-fetch-site': 'same-site' }],
    ['a proxy on this machine', { 'x-forwarded-for': '203.0.113.7' }],
    ['a proxy on this machine (RFC 7239)', { forwarded: 'for=203.0.113.7' }],
  ])('is not given to %s, even with the page key', async (_who, headers) => {
    for (const url of SCRIPTS) {
      const { res, authorization } = await pageScript(`${url}${withKey()}`, headers);
      expect(res.status).toBe(200);
      expect(authorization).toBeNull();
    }
  });

  const req = (remoteAddress: string, key = 'k3y') =>
    ({ socket: { remoteAddress }, headers: {}, query: { key } }) as unknown as Request;
  const development = { adminToken: 't0k', key: 'k3y' };
  it('is given only to loopback addresses bringing the key, and only when there is one', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(pageAuthorization(req(address), { development })).toBe('Bearer t0k');
      expect(pageAuthorization(req(address, 'k3z'), { development })).toBeUndefined();
    }
    for (const address of ['10.0.0.1', '192.168.1.20', '::ffff:10.0.0.1', 'fe80::1', '::', '0.0.0.0', '']) {
      expect(pageAuthorization(req(address), { development })).toBeUndefined();
    }
    expect(pageAuthorization(req('127.0.0.1'), {})).toBeUndefined();
  });

  browserTest('shows it in the IDE Headers pane, and subscriptions run in the IDE carry it too', async () => {
    const { page, errors } = await watchedPage();
    const introspection = page.waitForResponse(
      (res) => res.url().endsWith('/graphql') && res.request().method() === 'POST',
    );
    await page.goto(`${server.app.url}/graphql${withKey()}`);
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

  browserTest('without the page key, the live page asks for a token and works with the one given', async () => {
    const { page } = await watchedPage();
    await page.goto(`${server.app.url}/live`);
    await page.waitForSelector('#status:has-text("no token")');
    const staff = await server.token({ role: 'staff' });
    await page.fill('#token', staff);
    await page.click('#login button');
    await page.waitForSelector('#status:has-text("live")');
    const orderId = await placeOrder('Keyless Viewer');
    await page.locator(`tr[data-id="${orderId}"]`).waitFor({ timeout: 15_000 });
  });
});
