import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
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

/**
 * Whether `element` (one element on `page`) is still the very same node after the page has read
 * every host again `times` times (a `hosts-changed` event: the overview's reads), and never left the
 * page meanwhile: what a user's pointer is on is not replaced under it by a read.
 */
export async function staysAcrossRefreshes(page: Page, core: CoiCore, element: Locator, times = 2): Promise<boolean> {
  await element.evaluate((node) => {
    type Observer = new (seen: () => void) => { observe(target: unknown, options: { subtree: boolean; childList: boolean }): void };
    const window = globalThis as unknown as { __kept: { node: unknown; left: number }; MutationObserver: Observer };
    window.__kept = { node, left: 0 };
    new window.MutationObserver(() => {
      if (!(node as { isConnected: boolean }).isConnected) window.__kept.left += 1;
    }).observe(node.ownerDocument, { subtree: true, childList: true });
  });
  for (let refresh = 0; refresh < times; refresh += 1) {
    const read = page.waitForResponse((response) => response.url().endsWith('/api/call/containers.overview') && response.request().postData() === '{"snapshots":true}');
    core.emit({ type: 'hosts-changed' });
    await read;
  }
  return element.evaluate((node) => {
    const kept = (globalThis as unknown as { __kept: { node: unknown; left: number } }).__kept;
    return kept.node === node && kept.left === 0;
  });
}
