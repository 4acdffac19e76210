import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server';

// Debian's chromium (.ci/run installs it). On a machine without it this test cannot run, and says so.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`live page browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const browserTest = hasChromium ? it : it.skip;

let server: TestServer;
let browser: Browser | undefined;
beforeAll(async () => {
  server = await startTestServer();
  if (hasChromium) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server.close();
});

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

  const customer = await server.gql(
    `mutation { registerCustomer(input: { name: "Browser Buyer", email: "bb@example.com" }) { aggregateId } }`,
  );
  const placed = await server.gql(
    `mutation ($c: ID!) { placeOrder(input: { customerId: $c, items: [{ productId: "lamp", quantity: 2, unitPrice: "19.95" }] }) { aggregateId } }`,
    { c: customer.data!.registerCustomer.aggregateId },
  );
  const orderId: string = placed.data!.placeOrder.aggregateId;
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
