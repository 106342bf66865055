import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, useWebWorld } from '../helpers/browser';
import { knowHost, sshHost } from '../helpers/hosts';
import { testName } from '../helpers/incus';
import { keygenFingerprint, makeKey, requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';

// A project of the tests' own: the screens show only what these tests made.
const world = useWebWorld('ui');
let sshd: TestSshd;
let dir: string;

beforeAll(async () => {
  requireSshd();
  ({ sshd, dir } = await sshdWithKey('ui'));
});
afterAll(async () => {
  await sshd?.stop();
});

const { open } = world;
const snapshotsOf = async (name: string) => (await world.own.incus('snapshot', 'list', name, '--format', 'csv', '-c', 'n')).split('\n').filter(Boolean).sort();
const row = (page: Page, snapshot: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${snapshot}\\b`) }) });
/** Picks an entry of a snapshot's "⋯" menu. */
async function menu(page: Page, snapshot: string, item: string): Promise<void> {
  await page.getByRole('button', { name: `More actions for ${snapshot}` }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

describe('the container page', () => {
  it('creates a snapshot with N, restores with "Stop and restore", and undoes nothing the user did not choose', async () => {
    const name = await world.own.launch(testName('uic'));
    await world.own.incus('exec', name, '--', 'sh', '-c', 'echo good > /root/work');
    const page = await open(`#/host/local/container/${name}`);
    await page.getByText('No snapshots yet.').waitFor();
    await shot(page, 'container-empty');

    await page.keyboard.press('n');
    const dialog = page.getByRole('dialog', { name: `Create snapshot of ${name}` });
    await dialog.waitFor();
    await dialog.getByLabel('Name').fill('good');
    await dialog.getByRole('button', { name: 'Create snapshot' }).click();
    await row(page, 'good').waitFor();
    expect(await snapshotsOf(name)).toEqual(['good']);

    await world.own.incus('exec', name, '--', 'sh', '-c', 'echo broken > /root/work');
    await page.getByRole('button', { name: 'Restore good' }).click();
    const restore = page.getByRole('dialog', { name: `Restore ${name}` });
    await restore.getByText('A restore needs it stopped').waitFor();
    await shot(page, 'restore-dialog');
    await restore.getByRole('button', { name: 'Stop and restore' }).click();
    await restore.waitFor({ state: 'detached' });
    expect(await world.own.incus('file', 'pull', `${name}/root/work`, '-')).toBe('good\n');
    await expect.poll(() => page.getByRole('rowheader', { name: /^pre-restore-\d{8}-\d{6} safety snapshot$/ }).count(), { timeout: 5_000 }).toBe(1);
    expect((await snapshotsOf(name)).length).toBe(2);
    await shot(page, 'container-after-restore');
    await page.close();
  });

  it('deletes one snapshot, then all of them only after the name is typed', async () => {
    const name = await world.own.launch(testName('uid'), { stopped: true });
    for (const snapshot of ['a', 'b', 'c']) await world.own.incus('snapshot', 'create', name, snapshot);
    const page = await open(`#/host/local/container/${name}`);
    await menu(page, 'a', 'Delete…');
    await page.getByRole('dialog', { name: 'Delete snapshot' }).getByRole('button', { name: 'Delete' }).click();
    await row(page, 'a').waitFor({ state: 'detached' });
    expect(await snapshotsOf(name)).toEqual(['b', 'c']);

    await page.getByRole('button', { name: 'Delete all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete all snapshots' });
    const confirm = dialog.getByRole('button', { name: 'Delete all snapshots' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Container name to confirm').fill(name);
    await shot(page, 'delete-all-dialog');
    await confirm.click();
    await page.getByText('No snapshots yet.').waitFor();
    expect(await snapshotsOf(name)).toEqual([]);
    await page.close();
  });

  it('branches a snapshot into a new container and opens it', async () => {
    const name = await world.own.launch(testName('uib'), { stopped: true });
    await world.own.incus('snapshot', 'create', name, 'base');
    const page = await open(`#/host/local/container/${name}`);
    await menu(page, 'base', 'Branch…');
    await page.getByRole('dialog', { name: /^Branch base/ }).getByRole('button', { name: 'Create container' }).click();
    world.own.adopt(`${name}-base-copy`);
    await page.getByRole('heading', { name: `${name}-base-copy` }).waitFor();
    expect((await world.own.incus('list', '-c', 'n', '--format', 'csv')).split('\n')).toContain(`${name}-base-copy`);
    await page.close();
  });

  it('shows a snapshot made from a terminal without a reload', async () => {
    const name = await world.own.launch(testName('uil'), { stopped: true });
    const page = await open(`#/host/local/container/${name}`);
    await page.getByText('No snapshots yet.').waitFor();
    const started = Date.now();
    await world.own.incus('snapshot', 'create', name, 'from-terminal');
    await row(page, 'from-terminal').waitFor({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(2_500);
    await page.close();
  });
});

describe('the overview, palette and drawer', () => {
  it('lists every host and the containers, searchable, and the palette and drawer work from the keyboard', async () => {
    const name = await world.own.launch(testName('uio'));
    await world.own.incus('snapshot', 'create', name, 'one');
    const page = await open('#/');
    await page.getByRole('list', { name: 'Hosts' }).getByText('This machine').waitFor();
    await page.getByRole('checkbox', { name: 'All instances' }).check();
    await page.getByRole('button', { name }).waitFor();
    await shot(page, 'overview');
    await page.getByRole('searchbox', { name: 'Search containers' }).fill('no-such-thing');
    await page.getByText('No instances match.').waitFor();

    await page.keyboard.press('Control+k');
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await palette.getByRole('combobox').fill(name);
    await shot(page, 'command-palette');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name }).waitFor();

    await page.getByRole('button', { name: /^Operations/ }).click();
    await page.getByRole('complementary', { name: 'Operations' }).waitFor();
    await shot(page, 'operations-drawer');
    await page.close();
  });
});

describe('the Operations drawer from the keyboard', () => {
  it('at 800×600, where it lies over the page: the button moves focus into it, Escape closes it and focus returns to the button', async () => {
    const page = await open('#/', { viewport: { width: 800, height: 600 } });
    const toggle = page.getByRole('button', { name: /^Operations/ });
    await toggle.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('complementary', { name: 'Operations' });
    await drawer.waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const inDrawer = () => drawer.evaluate((element) => element.contains((element.ownerDocument as unknown as { activeElement: typeof element | null }).activeElement));
    await expect.poll(inDrawer).toBe(true);
    await page.keyboard.press('Tab');
    expect(await inDrawer()).toBe(true); // the close button, not a control hidden behind the drawer
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(await toggle.evaluate((element) => element === (element.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
    await page.close();
  });
});

describe('zoom and theme', () => {
  it('reflows at 200% zoom with nothing cut off sideways, and follows a dark OS theme', async () => {
    const name = await world.own.launch(testName('uiz'), { stopped: true });
    await world.own.incus('snapshot', 'create', name, 'zoomed');
    // A 1280×800 window at 200% zoom lays out like a 640×400 CSS-pixel viewport.
    const page = await open(`/host/local/container/${name}`, { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2, colorScheme: 'dark' });
    await row(page, 'zoomed').waitFor();
    const create = page.getByRole('button', { name: 'Create snapshot' });
    expect(await create.isVisible()).toBe(true);
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { body: unknown }; getComputedStyle(element: unknown): { backgroundColor: string } });
      return doc.getComputedStyle(doc.document.body).backgroundColor;
    });
    expect(background).toBe('rgb(21, 24, 29)');
    await shot(page, 'container-200-percent-dark');
    await page.close();
  });
});

describe('remote hosts in the UI', () => {
  it('adds a host: shows the fingerprint to trust, asks for the key passphrase, then shows it online', async () => {
    const locked = await makeKey(dir, 'ui_locked', 'ed25519', 'hunter2');
    sshd.authorize(locked.publicKey);
    const page = await open('#/');
    await page.getByRole('button', { name: 'Add host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add host' });
    await dialog.getByRole('tab', { name: 'user@host' }).click();
    await dialog.getByLabel('Name').fill('lab');
    await dialog.getByLabel(/SSH login/).fill(`root@${sshd.host}:${sshd.port}`);
    await dialog.getByLabel(/Key file/).fill(locked.file);
    await dialog.getByRole('button', { name: 'Test and add' }).click();
    await dialog.getByText(await keygenFingerprint(`${sshd.hostKey}.pub`)).waitFor();
    await shot(page, 'add-host-fingerprint');
    await dialog.getByRole('button', { name: 'Trust and add' }).click();

    const prompt = page.getByRole('dialog', { name: 'Passphrase for lab' });
    await prompt.getByLabel('Passphrase').fill('hunter2');
    await shot(page, 'passphrase-prompt');
    await prompt.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'lab' }).waitFor();
    await page.getByRole('main').getByText(/^Online · \d+ ms$/).waitFor({ timeout: 10_000 });
    await shot(page, 'host-page');
    await page.close();
  });

  it('shows a host going offline and coming back', async () => {
    const { sshd: flaky, key: flakyKey } = await sshdWithKey('uiflaky');
    try {
      knowHost(world.home.sshDir, flaky);
      await world.core.registry.add(sshHost('flaky', flaky, { identityFiles: [flakyKey.file] }));
      const page = await open('#/host/flaky');
      await page.getByRole('heading', { name: 'flaky' }).waitFor();
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByRole('main').getByText(/^Online · \d+ ms$/).waitFor({ timeout: 10_000 });
      await flaky.stop();
      await page.getByRole('main').getByText(/^Offline/).waitFor({ timeout: 10_000 });
      // The drop itself, or the first reconnection attempt that found sshd gone: either is the reason shown.
      await page.getByRole('alert').getByText(/the connection to flaky was lost|connection refused/).waitFor();
      await shot(page, 'host-offline');
      // sshd listens again (restart resolves then): Test connection dials at once, whatever the backoff
      // has grown to meanwhile (the reconnection schedule is timed in test/integration/ssh-faults.test.ts).
      await flaky.restart();
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByRole('main').getByText(/^Online · \d+ ms$/).waitFor({ timeout: 10_000 });
      await page.close();
    } finally {
      await flaky.stop();
    }
  });
});
