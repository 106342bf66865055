import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { BUILT_RENDERER, launchChromium, SCREENSHOTS } from '../helpers/browser';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';
import { openCore } from '../helpers/transports';

let own: Fixtures;
let core: CoiCore;
let server: WebServer;
let browser: Browser;

beforeAll(async () => {
  requireDaemon();
  own = await Fixtures.inProject('cpage');
  ({ core } = await openCore());
  await core.registry.add({ kind: 'local', name: 'local', displayName: 'This machine', project: own.project });
  server = await startWebServer({ handlers: core.handlers, events: core.events, rendererDir: BUILT_RENDERER });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await core?.close();
  await own?.cleanup();
});

/** Every Content-Security-Policy violation the page reports, to assert there are none. */
type Watched = Page & { violations: string[] };

async function open(path: string, options: BrowserContextOptions = {}): Promise<Watched> {
  const page = (await browser.newPage({ viewport: { width: 1280, height: 800 }, ...options })) as Watched;
  page.violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to|^CSP /i.test(message.text())) page.violations.push(message.text());
  });
  await page.addInitScript(() => {
    const doc = (globalThis as unknown as { document: { addEventListener(type: string, listener: (event: { violatedDirective: string; sample: string; target: { outerHTML?: string } }) => void): void } }).document;
    doc.addEventListener('securitypolicyviolation', (event) => console.log(`CSP ${event.violatedDirective} ${JSON.stringify(event, ['blockedURI', 'sourceFile', 'lineNumber', 'columnNumber', 'sample'])} ${(event.target as unknown as { nodeName: string }).nodeName}`));
  });
  await page.goto(`${server.url}#token=${server.token}&${path.replace(/^#/, '')}`);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
const snapshotsOf = async (name: string) => (await own.incus('snapshot', 'list', name, '--format', 'csv', '-c', 'n')).split('\n').filter(Boolean).sort();
const row = (page: Page, snapshot: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${snapshot}\\b`) }) });
const focusedName = (page: Page) => page.evaluate(() => {
  const active = (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null; textContent: string | null } | null } }).document.activeElement;
  return active?.getAttribute('aria-label') ?? active?.textContent?.trim() ?? '';
});

async function withSnapshots(label: string, names: string[], options: { stopped?: boolean } = { stopped: true }): Promise<string> {
  const name = await own.launch(testName(label), options);
  for (const snapshot of names) await own.incus('snapshot', 'create', name, snapshot);
  return name;
}

describe('keyboard flows on the container page', () => {
  it('Ctrl+K opens the palette with focus in its filter; N opens Create with focus in the name; Enter submits; Escape returns focus', async () => {
    const name = await withSnapshots('kb', ['first']);
    const page = await open('#/');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.title()).toBe('Overview · COI Desktop');

    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await palette.waitFor();
    await expect.poll(() => focusedName(page)).toBe('Type a command, host or container');
    await page.keyboard.type(`open ${name}`);
    await expect.poll(() => palette.getByRole('option').first().textContent()).toContain(name);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    expect(await page.title()).toBe(`${name} · local · COI Desktop`);

    await row(page, 'first').waitFor();
    await page.keyboard.press('n');
    const create = page.getByRole('dialog', { name: `Create snapshot of ${name}` });
    await create.waitFor();
    await expect.poll(() => focusedName(page)).toBe('');
    expect(await create.getByLabel('Name').evaluate((input) => input === (input.ownerDocument.activeElement as unknown))).toBe(true);
    await page.keyboard.press('Control+a');
    await page.keyboard.type('by-keyboard');
    await page.keyboard.press('Enter');
    await row(page, 'by-keyboard').waitFor();
    await create.waitFor({ state: 'detached' });
    expect(await snapshotsOf(name)).toEqual(['by-keyboard', 'first']);

    // Escape closes a dialog and focus goes back to the control that opened it.
    const restore = page.getByRole('button', { name: 'Restore first' });
    await restore.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: `Restore ${name}` }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect.poll(() => focusedName(page)).toBe('Restore first');
    expect(page.violations).toEqual([]);
    await page.close();
  });

  it('makes 40 snapshots one tab stop: arrows move, Space selects, Select all and Delete selected act on the selection', async () => {
    const names = Array.from({ length: 40 }, (_, index) => `s${String(index).padStart(2, '0')}`);
    const name = await withSnapshots('grid', names);
    const page = await open(`#/host/local/container/${name}`);
    const grid = page.getByRole('grid', { name: `Snapshots of ${name}` });
    await row(page, 's39').waitFor();
    // Size shows only where the storage driver reports it (not on a `dir` pool).
    expect((await grid.getByRole('columnheader').allTextContents()).filter((text) => text !== 'Size')).toEqual(['', 'Snapshot', 'Taken', 'Actions']);

    // From the filter, Tab reaches the grid's one stop, and a few more Tabs leave the page's list behind.
    await page.getByRole('searchbox', { name: 'Filter snapshots' }).focus();
    await page.keyboard.press('Tab'); // sort
    await page.keyboard.press('Tab'); // Select all
    await page.keyboard.press('Tab'); // the grid's current cell
    const first = await focusedName(page);
    expect(first).toMatch(/^Select s\d\d$/);
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).not.toMatch(/^(Select|Restore|More actions for) s\d\d$/);
    await page.keyboard.press('Shift+Tab');
    expect(await focusedName(page)).toBe(first);

    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    expect(await focusedName(page)).toMatch(/^Restore s\d\d$/);
    await page.keyboard.press('ArrowRight');
    expect(await focusedName(page)).toMatch(/^More actions for s\d\d$/);
    await page.keyboard.press('Space');
    const selected = await grid.locator('[role="row"][aria-selected="true"]').count();
    expect(selected).toBe(3);
    await page.keyboard.press('End');
    await expect.poll(() => focusedName(page)).toBe('More actions for s00');
    await shot(page, 'container-grid-selection');

    await page.getByRole('button', { name: 'Delete selected (3)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete 3 snapshots' });
    expect(await dialog.getByRole('listitem').allTextContents()).toEqual(['s39', 's38', 's37']);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await snapshotsOf(name)).length).toBe(37);
    expect(await snapshotsOf(name)).not.toContain('s39');

    await page.getByRole('checkbox', { name: 'Select all' }).check();
    await page.getByRole('button', { name: 'Delete selected (37)' }).waitFor();
    await page.close();
  });
});
