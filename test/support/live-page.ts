import path from 'node:path';
import type { Page } from 'playwright-core';

/** Where browser tests write their screenshots (git-ignored), for a person to look at. */
export const SCREENSHOTS = path.resolve(__dirname, '../../test-output');

/** Events the live page has counted since it opened (its events figure's data-events). */
export async function eventsCounted(page: Page): Promise<number> {
  return Number((await page.getAttribute('#rate', 'data-events')) ?? 0);
}

/**
 * Waits until the live page's events subscription has delivered the event with this cursor (its events figure's
 * data-after): in log order, so every event before it too.
 */
export async function seen(page: Page, cursor: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (expected) => (globalThis as any).document.getElementById('rate').dataset.after === expected,
    cursor,
    { timeout },
  );
}

/**
 * Makes events with `act` (which answers the cursor of the last one it made) until the live page has counted the
 * last of them: then its events subscription is up (graphql-ws does not say when the server has started one) and
 * nothing made so far is still on its way to it.
 */
export async function untilFollowing(page: Page, act: () => Promise<string>): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const cursor = await act();
    try {
      return await seen(page, cursor, 1000);
    } catch {
      // The subscription was not up yet when that event was made: make another.
    }
  }
  throw new Error('the live page never counted an event');
}
