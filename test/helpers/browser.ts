import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { CoiCore } from '../../src/main/app/core';
import { startWebServer, type WebServer } from '../../src/main/web/server';

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

/** Web mode serving `core`'s contract, and a Chromium to look at it. */
export interface WebUi {
  server: WebServer;
  browser: Browser;
  /** Closes the browser, then the server (the core is the caller's). */
  close(): Promise<void>;
}

export async function openWebUi(core: CoiCore): Promise<WebUi> {
  const server = await startWebServer({ handlers: core.handlers, events: core.events, backups: core.transfers, rendererDir: BUILT_RENDERER });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  return {
    server,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
