import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import type { tempHome } from './hosts';
import { Fixtures, requireDaemon } from './incus';
import { openCore } from './transports';

// Chromium itself is in chromium.ts, which the scripts (bench-ui, screenshots) import without vitest.
import { BUILT_RENDERER, launchChromium, SCREENSHOTS } from './chromium';
export { BUILT_RENDERER, CHROMIUM, launchChromium, SCREENSHOTS } from './chromium';

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

/** An end-to-end test file's world: an Incus project of its own, a core whose `local` host shows only it, web mode and Chromium. */
export interface WebWorld {
  own: Fixtures;
  core: CoiCore;
  home: ReturnType<typeof tempHome>;
  ui: WebUi;
  /** Closes the browser, the server and the core, and removes the project with what the test made in it. */
  close(): Promise<void>;
}

/** Starts a `WebWorld` on a new project named after `label`; what a failed step leaves started is undone. */
export async function webWorld(label: string): Promise<WebWorld> {
  requireDaemon();
  const own = await Fixtures.inProject(label);
  const opened = await openCore(own.project).catch(async (error: unknown) => {
    await own.cleanup();
    throw error;
  });
  const ui = await openWebUi(opened.core).catch(async (error: unknown) => {
    await opened.core.close();
    await own.cleanup();
    throw error;
  });
  const close = async () => {
    await ui.close();
    await opened.core.close();
    await own.cleanup();
  };
  return { own, ...opened, ui, close };
}

/** A test file's `WebWorld`, started before its tests and closed after them; `open` opens a page of it (see `openPage`). */
export type FileWorld = Omit<WebWorld, 'close'> & {
  /** Whether it has started (an `afterAll` of the file may run after its start failed). */
  readonly started: boolean;
  open(path?: string, options?: PageOptions): Promise<WebPage>;
};

/**
 * Registers the calling test file's `beforeAll` (start a `WebWorld` on project `label`) and `afterAll`
 * (close it, after the file's own later `afterAll`s); its parts can be read once the file's tests run.
 */
export function useWebWorld(label: string): FileWorld {
  let world: WebWorld | undefined;
  beforeAll(async () => {
    world = await webWorld(label);
  });
  afterAll(() => world?.close());
  const started = (): WebWorld => {
    if (!world) throw new Error(`the web world '${label}' is not started: use it inside a test or a later beforeAll`);
    return world;
  };
  return {
    get started() { return world !== undefined; },
    get own() { return started().own; },
    get core() { return started().core; },
    get home() { return started().home; },
    get ui() { return started().ui; },
    open: (path, options) => openPage(started().ui, path, options),
  };
}

/**
 * A page of web mode that records, from its first moment, every Content-Security-Policy violation it
 * reports (`violations`) and every error (`errors`: uncaught ones and console errors), to assert there are none.
 */
export type WebPage = Page & { violations: string[]; errors: string[] };

export interface PageOptions extends BrowserContextOptions {
  /** A script run in the page before any of its own (`page.addInitScript`). */
  init?: string;
}

/**
 * A new page (1280×800 unless `options` say otherwise) of `ui` at `path` (a route such as
 * `/host/local`; '' for the overview with no route in the address), opened with web mode's token as a
 * user opens the printed address.
 */
export async function openPage(ui: WebUi, path = '', options: PageOptions = {}): Promise<WebPage> {
  const { init, ...context } = options;
  const page = Object.assign(await ui.browser.newPage({ viewport: { width: 1280, height: 800 }, ...context }), { violations: [] as string[], errors: [] as string[] });
  page.on('pageerror', (error) => page.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') page.errors.push(message.text());
    if (/Content Security Policy|Refused to|^CSP /i.test(message.text())) page.violations.push(message.text());
  });
  await page.addInitScript(() => {
    const doc = (globalThis as unknown as { document: { addEventListener(type: string, listener: (event: { violatedDirective: string; sample: string; target: { outerHTML?: string } }) => void): void } }).document;
    doc.addEventListener('securitypolicyviolation', (event) => console.log(`CSP ${event.violatedDirective} ${JSON.stringify(event, ['blockedURI', 'sourceFile', 'lineNumber', 'columnNumber', 'sample'])} ${(event.target as unknown as { nodeName: string }).nodeName}`));
  });
  if (init) await page.addInitScript(init);
  await page.goto(`${ui.server.url}#token=${ui.server.token}&${path.replace(/^#/, '')}`);
  return page;
}

/**
 * The window sizes the layout checks hold at: 1280×800, 800×600, and a 1280×800 window at 200% zoom,
 * which lays out like a 640×400 CSS-pixel viewport. `label` names each in screenshot names.
 */
export const WINDOW_SIZES: readonly { label: string; options: PageOptions }[] = [
  { label: '1280x800', options: { viewport: { width: 1280, height: 800 } } },
  { label: '800x600', options: { viewport: { width: 800, height: 600 } } },
  { label: '200-percent', options: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 } },
];

/** Saves a screenshot of `page` as test-results/screenshots/`name`.png. */
export const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

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

/**
 * The contrast ratio (WCAG 2) of the text of the first element `locator` matches against the first
 * opaque background behind it.
 */
export function contrastOf(locator: Locator): Promise<number> {
  return locator.first().evaluate((element) => {
    type Styled = { parentElement: Styled | null; ownerDocument: { defaultView: { getComputedStyle(element: Styled): { color: string; backgroundColor: string } } } };
    const start = element as unknown as Styled;
    const style = (node: Styled) => start.ownerDocument.defaultView.getComputedStyle(node);
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    let behind: Styled | null = start;
    while (behind && (rgb(style(behind).backgroundColor)[3] ?? 1) === 0) behind = behind.parentElement;
    const luminance = (css: string) => {
      const [r, g, b] = rgb(css).map((channel) => channel / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const [text, ground] = [luminance(style(start).color), luminance(behind ? style(behind).backgroundColor : 'rgb(255, 255, 255)')];
    return (Math.max(text, ground) + 0.05) / (Math.min(text, ground) + 0.05);
  });
}
