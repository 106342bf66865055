import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, staysAcrossRefreshes, useWebWorld } from '../helpers/browser';
import { knowHost, sshHost, statusReached } from '../helpers/hosts';
import { Fixtures, testName } from '../helpers/incus';
import { freePort, keygenFingerprint, requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';

// The overview and the host page in Chromium, on web mode, against the real daemon and real sshd
// servers that reach it. Every host here shows an Incus project of this file's own.
const world = useWebWorld('ov');
/** The project the SSH hosts show (the same daemon, reached through sshd). */
let far: Fixtures;
let remote: TestSshd;
let silent: Server;
const sockets = new Set<Socket>();
/** name → snapshot count, for the sorting checks. */
const made: Record<string, number> = {};

beforeAll(async () => {
  requireSshd();
  // Three containers, none of them a COI container; snapshots 2, 0 and 1.
  for (const [label, snapshots] of [['ova', 2], ['ovb', 0], ['ovc', 1]] as const) {
    const name = await world.own.launch(testName(label), { stopped: true });
    for (let i = 0; i < snapshots; i += 1) await world.own.incus('snapshot', 'create', name, `s${i}`);
    made[name] = snapshots;
  }
  far = await Fixtures.inProject('ovfar');
  const farName = await far.launch(testName('ovr'), { stopped: true });
  for (let i = 0; i < 3; i += 1) await far.incus('snapshot', 'create', farName, `s${i}`);
  made[farName] = 3;
  const key = await sshdWithKey('ov');
  remote = key.sshd;
  knowHost(world.home.sshDir, remote);
  await world.core.registry.add(sshHost('remote', remote, { identityFiles: [key.key.file], project: far.project }));
});
afterAll(async () => {
  await remote?.stop();
  for (const socket of sockets) socket.destroy();
  silent?.close();
  await far?.cleanup();
});

interface Size {
  name: string;
  width: number;
  height: number;
  deviceScaleFactor: number;
}
const SIZES: Size[] = [
  { name: '1280x800', width: 1280, height: 800, deviceScaleFactor: 1 },
  { name: '800x600', width: 800, height: 600, deviceScaleFactor: 1 },
  // A 1280×800 window at 200% zoom lays out like a 640×400 CSS-pixel viewport.
  { name: 'zoom200', width: 640, height: 400, deviceScaleFactor: 2 },
];

function open(path = '/', options: { size?: Size; scheme?: 'light' | 'dark'; init?: string } = {}): Promise<Page> {
  const size = options.size ?? SIZES[0]!;
  return world.open(path, { viewport: { width: size.width, height: size.height }, deviceScaleFactor: size.deviceScaleFactor, colorScheme: options.scheme ?? 'light', init: options.init });
}
const card = (page: Page, name: string) => page.getByRole('list', { name: 'Hosts' }).getByRole('listitem').filter({ has: page.getByRole('button', { name, exact: true }) });
const table = (page: Page) => page.getByRole('table', { name: 'Containers' });
/** The container names in the overview's list, top to bottom. */
const listed = async (page: Page) => (await table(page).locator('[role="cell"].col-name').allTextContents()).map((text) => text.trim());
/** Every retry countdown of one host on the page, read at one instant: the sidebar's and the card's or the host page's. */
const countdownsOf = (page: Page, host: string) =>
  page.locator(`nav li:has(.host-name:text-is("${host}")) .visually-hidden, ul[aria-label="Hosts"] > li[aria-label="${host}"] .badge[data-state], main header .badge[data-state]`).allTextContents();

/**
 * What is cut off on the page, in words (empty when nothing is): the page or main scrolling sideways,
 * a column header or a name in a table cut short or past the window's edge, the drawer outside the window.
 * One pass in the page, so that the whole check sees one layout.
 */
function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    interface Box { scrollWidth: number; clientWidth: number; textContent: string | null; getBoundingClientRect(): { left: number; right: number; width: number; height: number } }
    const window = globalThis as unknown as { document: { querySelector(s: string): Box | null; querySelectorAll(s: string): Box[] }; innerWidth: number };
    const doc = window.document;
    const problems: string[] = [];
    const visible = (element: Box) => element.getBoundingClientRect().width > 0 && element.getBoundingClientRect().height > 0;
    const check = (element: Box | null, what: string) => {
      if (!element || !visible(element)) return;
      if (element.scrollWidth > element.clientWidth) problems.push(`${what} scrolls or is cut short by ${element.scrollWidth - element.clientWidth} px`);
      const box = element.getBoundingClientRect();
      if (box.left < 0 || box.right > window.innerWidth + 0.5) problems.push(`${what} lies past the window's edge`);
    };
    check(doc.querySelector('html'), 'the page');
    check(doc.querySelector('main'), 'main');
    for (const header of doc.querySelectorAll('main [role="columnheader"]')) check(header, `header ${header.textContent?.trim()}`);
    for (const link of doc.querySelectorAll('main [role="cell"] button')) check(link, `${link.textContent?.trim()}`);
    check(doc.querySelector('aside[aria-label="Operations"]'), 'the Operations drawer');
    return problems;
  });
}

/**
 * The top bar (the Hosts navigation, as laid out below 45rem): its height, the height one row of its
 * controls takes (the tallest control plus the bar's padding and border), and its controls' names.
 */
function topBar(page: Page): Promise<{ height: number; oneRow: number; controls: string[] }> {
  return page.getByRole('navigation', { name: 'Hosts' }).evaluate((nav) => {
    interface Box { getBoundingClientRect(): { height: number }; getAttribute(name: string): string | null; textContent: string | null; querySelectorAll(s: string): Box[] }
    const bar = nav as unknown as Box;
    const view = (nav.ownerDocument as unknown as { defaultView: { getComputedStyle(element: unknown): Record<string, string> } }).defaultView;
    const style = view.getComputedStyle(nav);
    const edges = ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth'].reduce((sum, edge) => sum + parseFloat(style[edge]!), 0);
    const controls = [...bar.querySelectorAll('button')].filter((control) => control.getBoundingClientRect().height > 0);
    const tallest = Math.max(...controls.map((control) => control.getBoundingClientRect().height));
    return { height: bar.getBoundingClientRect().height, oneRow: tallest + edges + 1, controls: controls.map((control) => control.getAttribute('aria-label') ?? control.textContent!.trim()) };
  });
}

/**
 * Tabs from the page's start through the top bar: for each control focus reaches there, its visible
 * name (`aria-label` or text) and whether it is in view (inside the window and not scrolled away in
 * its list) with a focus ring; stops when focus leaves the bar.
 */
async function tabThroughTopBar(page: Page): Promise<string[]> {
  await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur(): void } } }).document.activeElement.blur());
  const reached: string[] = [];
  for (;;) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      interface Rect { left: number; right: number; top: number; bottom: number }
      interface Node { closest(s: string): Node | null; parentElement: Node | null; getBoundingClientRect(): Rect; getAttribute(name: string): string | null; textContent: string | null }
      const window = globalThis as unknown as { innerWidth: number; innerHeight: number; document: { activeElement: Node }; getComputedStyle(element: Node): { outlineStyle: string; overflowX: string } };
      const element = window.document.activeElement;
      if (!element.closest('nav[aria-label="Hosts"]')) return null;
      const box = element.getBoundingClientRect();
      let inView = box.left >= 0 && box.top >= 0 && box.right <= window.innerWidth && box.bottom <= window.innerHeight;
      for (let clip = element.parentElement; clip; clip = clip.parentElement) {
        if (window.getComputedStyle(clip).overflowX === 'visible') continue;
        const frame = clip.getBoundingClientRect();
        inView &&= box.left >= frame.left && box.right <= frame.right + 0.5;
      }
      const ringed = window.getComputedStyle(element).outlineStyle !== 'none';
      const name = element.getAttribute('aria-label') ?? element.textContent!.trim();
      return `${name}: ${inView ? 'in view' : 'out of view'}, ${ringed ? 'ringed' : 'no ring'}`;
    });
    if (focused === null) return reached;
    reached.push(focused);
  }
}

const expectHolds = async (page: Page, where: string) => expect(await cutOff(page), where).toEqual([]);

describe('the overview at every size', () => {
  it('holds at 1280×800, 800×600 and 200% zoom, with the Operations drawer open and closed: cards keep their size, the top bar at 200% is one row, nothing is cut off or scrolls sideways', async () => {
    const first = Object.keys(made)[0]!;
    const drawer = (page: Page) => page.getByRole('complementary', { name: 'Operations' });
    for (const size of SIZES) {
      const page = await open('/', { size });
      // Checked in light, shot in both: the dark theme changes colours only.
      const shots = async (name: string) => {
        for (const colorScheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme });
          await shot(page, `${name}-${size.name}-${colorScheme}`);
        }
        await page.emulateMedia({ colorScheme: 'light' });
      };
      await page.getByRole('button', { name: first, exact: true }).waitFor();
      // The host cards never collapse (at 200% zoom they were 0 px high).
      for (const name of ['This machine', 'remote']) {
        const box = (await card(page, name).boundingBox())!;
        expect(box.height, `${size.name}: card ${name}`).toBeGreaterThan(60);
        expect(box.width).toBeGreaterThan(150);
      }
      await expectHolds(page, `overview ${size.name}`);
      // Narrow (200% zoom), the host list is a bar on top: one row, each control in view when Tab reaches it.
      if (size.name === 'zoom200') {
        const bar = await topBar(page);
        expect(bar.height, `the top bar at ${size.name} is one row`).toBeLessThanOrEqual(bar.oneRow);
        expect(await tabThroughTopBar(page)).toEqual(bar.controls.map((name) => `${name}: in view, ringed`));
      }
      await shots('overview');
      await page.getByRole('button', { name: /^Operations/ }).click();
      await drawer(page).waitFor();
      await expectHolds(page, `overview, drawer open, ${size.name}`);
      await shots('overview-drawer');

      // The drawer stays open from page to page (at 200% it covers the window: go by address).
      await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/host/local'));
      await page.getByRole('heading', { name: 'local' }).waitFor();
      await page.getByRole('button', { name: `Start ${first}` }).waitFor();
      await expectHolds(page, `host page, drawer open, ${size.name}`);
      await shots('host-drawer');
      await drawer(page).getByRole('button', { name: 'Close operations' }).click();
      await expectHolds(page, `host page ${size.name}`);
      await shots('host');
      await page.close();
    }
  });
});

describe('the container list', () => {
  it('sorts by its column headers, with aria-sort saying how', async () => {
    const page = await open('/');
    const names = Object.keys(made);
    await page.getByRole('button', { name: names[3]!, exact: true }).waitFor();
    const header = (label: string) => table(page).getByRole('columnheader', { name: label });

    await header('Snapshots').getByRole('button').click();
    expect(await header('Snapshots').getAttribute('aria-sort')).toBe('ascending');
    expect(await header('Name').getAttribute('aria-sort')).toBe('none');
    // Equal counts fall back to the name, ascending either way round.
    const bySnapshots = [...names].sort((a, b) => made[a]! - made[b]! || a.localeCompare(b));
    await expect.poll(() => listed(page)).toEqual(bySnapshots);
    await header('Snapshots').getByRole('button').click();
    expect(await header('Snapshots').getAttribute('aria-sort')).toBe('descending');
    await expect.poll(() => listed(page)).toEqual([...bySnapshots].reverse());

    await header('Name').getByRole('button').click();
    expect(await header('Name').getAttribute('aria-sort')).toBe('ascending');
    expect(await header('Snapshots').getAttribute('aria-sort')).toBe('none');
    await expect.poll(() => listed(page)).toEqual([...names].sort());
    await page.close();
  });

  it('lists every instance when none is a COI container, and keeps "All instances" and the search across navigation and reloads', async () => {
    const page = await open('/');
    const names = Object.keys(made);
    // None of this project's containers is a COI container: they are listed all the same, and the page says why.
    await page.getByText('No COI containers on any host, so every instance is listed.').waitFor();
    await expect.poll(async () => (await listed(page)).sort()).toEqual([...names].sort());

    await page.getByRole('checkbox', { name: 'All instances' }).check();
    await page.getByRole('searchbox', { name: 'Search containers' }).fill(names[1]!);
    await expect.poll(() => listed(page)).toEqual([names[1]]);
    await page.getByRole('navigation', { name: 'Hosts' }).getByRole('button', { name: /^local/ }).click();
    await page.getByRole('heading', { name: 'local' }).waitFor();
    await page.getByRole('navigation', { name: 'Hosts' }).getByRole('button', { name: 'Overview' }).click();
    expect(await page.getByRole('searchbox', { name: 'Search containers' }).inputValue()).toBe(names[1]);
    expect(await page.getByRole('checkbox', { name: 'All instances' }).isChecked()).toBe(true);

    await page.reload();
    await page.getByRole('button', { name: names[1]!, exact: true }).waitFor();
    await card(page, 'remote').getByText(/^1 container /).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('searchbox', { name: 'Search containers' }).inputValue()).toBe(names[1]);
    expect(await page.getByRole('checkbox', { name: 'All instances' }).isChecked()).toBe(true);
    expect(await listed(page)).toEqual([names[1]]);
    await page.close();
  });
});

describe('host cards while hosts load', () => {
  it('shows a loading state, never "0 containers", until a host has answered', async () => {
    // Every text a host card ever shows, from the first render on.
    const record = `
      window.__cards = [];
      new MutationObserver(() => {
        for (const card of document.querySelectorAll('ul[aria-label="Hosts"] > li')) window.__cards.push(card.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });`;
    // A host that accepts the TCP connection and never says a word: it stays "connecting" for a while.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    await world.core.registry.add({ kind: 'ssh', name: 'silent', user: 'root', host: '127.0.0.1', port, identityFiles: [] });
    const page = await open('/', { init: record });
    await card(page, 'This machine').getByText(/^3 containers/).waitFor();
    await card(page, 'remote').getByText(/^1 containers? /).waitFor({ timeout: 15_000 });
    const seen = await page.evaluate(() => (globalThis as unknown as { __cards: string[] }).__cards);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((text) => /\b0 containers/.test(text))).toEqual([]);
    // The host that never answers is still loading, and says so.
    const quiet = card(page, 'silent');
    expect(await quiet.getAttribute('aria-busy')).toBe('true');
    expect(await quiet.getByText('Loading containers…').isVisible()).toBe(true);
    await shot(page, 'overview-loading');
    await page.close();
    await world.core.registry.remove('silent');
  });
});

describe('a host that goes away', () => {
  it('keeps its last known containers, marked, disables their actions, and counts down to the next retry in step everywhere', async () => {
    const { sshd: flaky, key } = await sshdWithKey('ovflaky');
    try {
      knowHost(world.home.sshDir, remote, flaky);
      await world.core.registry.add(sshHost('flaky', flaky, { identityFiles: [key.file], project: far.project }));
      const farName = Object.keys(made)[3]!;
      const page = await open('/');
      // Its snapshots tallied too (the overview's second phase), before it goes away.
      await card(page, 'flaky').getByText(/^1 container \(0 running\) · 3 snapshots$/).waitFor({ timeout: 15_000 });
      await flaky.stop();

      const flakyCard = card(page, 'flaky');
      await flakyCard.getByText(/^Offline/).waitFor({ timeout: 10_000 });
      await flakyCard.getByText('Last known').waitFor();
      expect(await flakyCard.getByText(/^1 container \(0 running\) · 3 snapshots$/).isVisible()).toBe(true);
      expect(await flakyCard.getByText(/was lost|refused/).isVisible()).toBe(true);
      await shot(page, 'overview-host-offline');

      // Read every countdown of the host at one instant, again and again over a few clock ticks: each time
      // they agree, and they tick (a failed retry may publish a new time, so no exact sequence is expected).
      await expect.poll(async () => (await countdownsOf(page, 'flaky'))[0], { timeout: 30_000 }).toMatch(/^Offline · retry in \d+ s$/);
      const seen = new Set<string>();
      for (let read = 0; read < 8; read += 1) {
        const now = await countdownsOf(page, 'flaky');
        expect(now.length).toBe(2); // the sidebar and the card
        expect(new Set(now).size, now.join(' | ')).toBe(1);
        expect(now[0]).toMatch(/^Offline · (retry in \d+ s|retrying now)$/);
        seen.add(now[0]!);
        await page.waitForTimeout(350);
      }
      expect(seen.size).toBeGreaterThan(1);

      await page.getByRole('navigation', { name: 'Hosts' }).getByRole('button', { name: /^flaky/ }).click();
      await page.getByRole('heading', { name: 'flaky' }).waitFor();
      const start = page.getByRole('button', { name: `Start ${farName}` });
      await start.waitFor();
      expect(await start.isDisabled()).toBe(true);
      await page.getByRole('status').getByText('Last known').waitFor();
      const onPage = await countdownsOf(page, 'flaky');
      expect(onPage.length).toBe(2); // the sidebar and the page's badge
      expect(new Set(onPage).size).toBe(1);
      expect(onPage[0]).toMatch(/^Offline · (retry in \d+ s|retrying now)$/);
      await shot(page, 'host-offline-last-known');

      await flaky.restart();
      await page.getByRole('main').getByText(/^Online · \d+ ms$/).waitFor({ timeout: 40_000 });
      await expect.poll(() => start.isDisabled(), { timeout: 15_000 }).toBe(false);
      await page.close();
    } finally {
      await flaky.stop();
      await world.core.registry.remove('flaky').catch(() => undefined);
    }
  });
});

describe('a host already offline at start', () => {
  it('shows its reason and its next retry, the same in the sidebar and on its card', async () => {
    // Nothing listens there: every dial is refused.
    await world.core.registry.add({ kind: 'ssh', name: 'gone', user: 'root', host: '127.0.0.1', port: await freePort(), identityFiles: [] });
    try {
      const page = await open('/');
      const gone = card(page, 'gone');
      await gone.getByText(/refused/).waitFor({ timeout: 15_000 });
      await expect.poll(async () => (await countdownsOf(page, 'gone'))[0], { timeout: 15_000 }).toMatch(/^Offline · (retry in \d+ s|retrying now)$/);
      expect(new Set(await countdownsOf(page, 'gone')).size).toBe(1);
      await page.close();
    } finally {
      await world.core.registry.remove('gone');
    }
  });
});

describe('a host whose key changed', () => {
  it("names the app's own known_hosts, and forgets the old key only after the new fingerprint is shown and confirmed; then it reconnects", async () => {
    const { sshd: rekeyed, key } = await sshdWithKey('ovkey');
    try {
      // Known the way the app knows hosts: the key trusted by fingerprint, into the app's own known_hosts.
      await world.core.registry.add(sshHost('rekeyed', rekeyed, { identityFiles: [key.file], project: far.project }));
      const first = await world.core.handlers['hosts.test']({ host: 'rekeyed' });
      expect(first.status.state).toBe('host-key-unknown');
      await world.core.handlers['hosts.trustFingerprint']({ host: 'rekeyed', fingerprint: await keygenFingerprint(`${rekeyed.hostKey}.pub`) });
      expect((await world.core.handlers['hosts.test']({ host: 'rekeyed' })).status.state).toBe('online');

      // The host is reinstalled: a new host key, and every session dropped.
      rmSync(rekeyed.hostKey);
      rmSync(`${rekeyed.hostKey}.pub`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', rekeyed.hostKey]);
      const fresh = await keygenFingerprint(`${rekeyed.hostKey}.pub`);
      // Its own reconnection meets the new key (a test sent at once could ride the dying session, and
      // the reconnection's refusal come after, while the button is watched).
      const changed = statusReached(world.core, 'rekeyed', 'host-key-changed', 20_000);
      await rekeyed.restart();
      await changed;

      const page = await open('/host/rekeyed');
      await page.getByRole('heading', { name: 'rekeyed' }).waitFor();
      // The user's own test ends before the button is watched: while it runs the host is "connecting" and its
      // alert goes (the page's first read may already have shown it).
      const tested = page.waitForResponse((response) => response.url().endsWith('/api/call/hosts.test'));
      await page.getByRole('button', { name: 'Test connection' }).click();
      await tested;
      const alert = page.getByRole('main').getByRole('alert');
      await alert.getByText(/CHANGED/).waitFor({ timeout: 15_000 });
      expect(await alert.textContent()).toContain(join(world.home.configDir, 'known_hosts'));
      // Reads (the overview, the host page) never test the host again: the button stays under the pointer.
      expect(await staysAcrossRefreshes(page, world.core, alert.getByRole('button', { name: 'Forget the old key…' }))).toBe(true);

      await alert.getByRole('button', { name: 'Forget the old key…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Forget the old key of rekeyed?' });
      await dialog.getByText(fresh, { exact: true }).waitFor();
      await shot(page, 'host-key-changed-forget');
      // Cancel first: nothing is forgotten.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect((await world.core.handlers['hosts.test']({ host: 'rekeyed' })).status.state).toBe('host-key-changed');

      await alert.getByRole('button', { name: 'Forget the old key…' }).click();
      await dialog.getByRole('button', { name: 'Forget the old key and trust the new one' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('main').getByText(/^Online · \d+ ms$/).waitFor({ timeout: 15_000 });
      await expect.poll(() => page.getByRole('main').getByRole('alert').count(), { timeout: 5_000 }).toBe(0);
      await page.close();
    } finally {
      await rekeyed.stop();
      await world.core.registry.remove('rekeyed').catch(() => undefined);
    }
  });
});

describe('after Branch', () => {
  it("opens the new container's page with the container on it at once, never 'No container named …'", async () => {
    const source = await world.own.launch(testName('ovbr'), { stopped: true });
    await world.own.incus('snapshot', 'create', source, 'base');
    const copy = `${source}-base-copy`;
    // Every text the page's main area ever shows, from the first render on.
    const record = `
      window.__main = [];
      new MutationObserver(() => {
        const main = document.querySelector('main');
        if (main) window.__main.push(main.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });`;
    const page = await open(`/host/local/container/${source}`, { init: record });
    await page.getByRole('button', { name: 'More actions for base' }).click();
    await page.getByRole('menuitem', { name: 'Branch…' }).click();
    await page.getByRole('dialog', { name: /^Branch base/ }).getByRole('button', { name: 'Create container' }).click();
    world.own.adopt(copy);
    await page.getByRole('heading', { name: copy }).waitFor();
    const seen = await page.evaluate(() => (globalThis as unknown as { __main: string[] }).__main);
    expect(seen.filter((text) => text.includes('No container named'))).toEqual([]);
    await page.close();
  });
});
