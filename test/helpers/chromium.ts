import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

// Chromium for the e2e tests (browser.ts) and the scripts that drive the UI (bench-ui, screenshots):
// free of vitest, which a script run with tsx cannot load.

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');

/** Debian's Chromium, headless, with the flags this machine needs (no network but loopback). */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** The renderer as `npm run build` leaves it, which web mode serves. */
export const BUILT_RENDERER = join(__dirname, '..', '..', 'out', 'renderer');
