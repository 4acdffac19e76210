import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (.ci/run installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

/**
 * `it` for a test that drives Chromium. Without one, on a developer's machine the test is skipped and says so; in
 * CI (where .ci/run installs it) that is a failure, so a browser test can never pass by not running.
 */
export function chromiumTest(suite: string): jest.It {
  if (hasChromium) return it;
  if (process.env.CI) {
    throw new Error(`${suite}: no Chromium at ${CHROMIUM}, and CI is set (apt-get install chromium)`);
  }
  console.warn(`${suite} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return it.skip;
}

/** Headless, with nothing that reaches for the network on its own (this machine's network is closed). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
