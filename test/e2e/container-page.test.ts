import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { shot, useWebWorld, WINDOW_SIZES } from '../helpers/browser';
import { testName } from '../helpers/incus';

const world = useWebWorld('cpage');

const { open } = world;
const snapshotsOf = async (name: string) => (await world.own.incus('snapshot', 'list', name, '--format', 'csv', '-c', 'n')).split('\n').filter(Boolean).sort();
const row = (page: Page, snapshot: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${snapshot}\\b`) }) });
const focusedName = (page: Page) => page.evaluate(() => {
  const active = (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null; textContent: string | null } | null } }).document.activeElement;
  return active?.getAttribute('aria-label') ?? active?.textContent?.trim() ?? '';
});

async function withSnapshots(label: string, names: string[], options: { stopped?: boolean } = { stopped: true }): Promise<string> {
  const name = await world.own.launch(testName(label), options);
  for (const snapshot of names) await world.own.incus('snapshot', 'create', name, snapshot);
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
    await page.getByRole('checkbox', { name: 'Select first' }).focus();
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

    await page.getByRole('button', { name: 'Delete selected (3)' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete 3 snapshots' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focusedName(page)).toBe('Delete selected (3)');
    await page.keyboard.press('Enter');
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

describe('the "⋯" menu and the dialogs it opens', () => {
  it('opens from the keyboard beside its trigger, and a dialog from it returns focus to "⋯" on Escape', async () => {
    const name = await withSnapshots('menu', ['keep']);
    const page = await open(`#/host/local/container/${name}`);
    const more = page.getByRole('button', { name: 'More actions for keep' });
    await more.focus();
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu');
    await menu.waitFor();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['Changes since this snapshot', 'Branch…', 'Rename…', 'Expiry…', 'Description…', 'Export…', 'Copy name', 'Copy JSON', 'Delete…']);
    // Positioned by bits-ui (floating-ui, through the CSSOM, which the CSP allows): under its trigger, inside the window.
    const [box, anchor] = [await menu.boundingBox(), await more.boundingBox()];
    expect(box!.y).toBeGreaterThanOrEqual(anchor!.y + anchor!.height - 1);
    expect(box!.x + box!.width).toBeLessThanOrEqual(1280);
    expect(Math.abs(box!.x + box!.width - (anchor!.x + anchor!.width))).toBeLessThan(8);
    await shot(page, 'snapshot-menu');
    expect(await menu.getByRole('menuitem', { name: 'Delete…' }).evaluate((item) => item.className)).toMatch(/destructive/);

    await page.keyboard.press('ArrowDown'); // Branch… (the first item has focus on open)
    await page.keyboard.press('ArrowDown'); // Rename…
    await page.keyboard.press('Enter');
    const rename = page.getByRole('dialog', { name: 'Rename keep' });
    await rename.waitFor();
    await page.keyboard.press('Escape');
    await rename.waitFor({ state: 'detached' });
    await expect.poll(() => focusedName(page)).toBe('More actions for keep');
    expect(page.violations).toEqual([]);
    await page.close();
  });

  it('says inside a dialog that its snapshot was deleted in a terminal and disables the action; shows a failed action inside', async () => {
    const name = await withSnapshots('gone', ['doomed', 'other']);
    const page = await open(`#/host/local/container/${name}`);
    await page.getByRole('button', { name: 'More actions for doomed' }).click();
    await page.getByRole('menuitem', { name: 'Rename…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename doomed' });
    await dialog.getByLabel('New name').fill('renamed');
    await world.own.incus('snapshot', 'delete', name, 'doomed');
    await dialog.getByRole('alert').getByText(`Snapshot doomed of ${name} no longer exists`).waitFor({ timeout: 5_000 });
    expect(await dialog.getByRole('button', { name: 'Rename' }).isDisabled()).toBe(true);
    await shot(page, 'dialog-snapshot-gone');
    await page.keyboard.press('Escape');

    // Branching onto a name that exists fails in the daemon: the reason shows in the dialog, which stays open.
    const taken = await world.own.launch(testName('taken'), { stopped: true });
    await page.getByRole('button', { name: 'More actions for other' }).click();
    await page.getByRole('menuitem', { name: 'Branch…' }).click();
    const branch = page.getByRole('dialog', { name: /^Branch other/ });
    await branch.getByLabel('New container name').fill(taken);
    await branch.getByRole('button', { name: 'Create container' }).click();
    await branch.getByRole('alert').getByText(/^Could not branch other: /).waitFor();
    expect(await branch.isVisible()).toBe(true);
    await page.close();
  });

  it('refuses a past expiry in the Expiry and Create dialogs with the shared rule, and edits a description', async () => {
    const name = await withSnapshots('exp', ['dated']);
    const page = await open(`#/host/local/container/${name}`);
    await page.getByRole('button', { name: 'More actions for dated' }).click();
    await page.getByRole('menuitem', { name: 'Expiry…' }).click();
    const expiry = page.getByRole('dialog', { name: 'Expiry of dated' });
    await expiry.getByLabel('Expires at').fill('2020-01-01T00:00');
    await expiry.getByText(/is in the past: Incus would delete the snapshot within a minute/).waitFor();
    expect(await expiry.getByRole('button', { name: 'Set expiry' }).isDisabled()).toBe(true);
    await expiry.getByLabel('Expires at').fill('2099-01-01T00:00');
    await expiry.getByRole('button', { name: 'Set expiry' }).click();
    await expiry.waitFor({ state: 'detached' });
    await row(page, 'dated').getByText(/^expires in \d+ days$/).waitFor();

    await page.keyboard.press('n');
    const create = page.getByRole('dialog', { name: `Create snapshot of ${name}` });
    await create.getByLabel('Expires').check();
    await create.getByLabel('Delete automatically at').fill('2020-01-01T00:00');
    await create.getByText(/is in the past/).waitFor();
    expect(await create.getByRole('button', { name: 'Create snapshot' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'More actions for dated' }).click();
    await page.getByRole('menuitem', { name: 'Description…' }).click();
    const describe = page.getByRole('dialog', { name: 'Description of dated' });
    await describe.getByRole('textbox').fill('before the schema change');
    await page.keyboard.press('Enter');
    await row(page, 'dated').getByText('before the schema change').waitFor();
    await page.getByRole('searchbox', { name: 'Filter snapshots' }).fill('schema');
    expect(await page.getByRole('rowheader').count()).toBe(1);
    expect(await snapshotsOf(name)).toEqual(['dated']);
    await page.close();
  });
});

describe('restore from the container page', () => {
  it('"Stop and restore" starts the container again by default; the toast names the safety snapshot and Undo restores it', async () => {
    const name = await world.own.launch(testName('rst'));
    await world.own.incus('exec', name, '--', 'sh', '-c', 'echo good > /root/work');
    await world.own.incus('snapshot', 'create', name, 'good');
    await world.own.incus('exec', name, '--', 'sh', '-c', 'echo later > /root/work');
    const page = await open(`#/host/local/container/${name}`);
    await page.getByRole('button', { name: 'Restore good' }).click();
    const dialog = page.getByRole('dialog', { name: `Restore ${name}` });
    expect(await dialog.getByLabel(/Start it again afterwards/).isChecked()).toBe(true);
    await shot(page, 'restore-dialog-start-again');
    await dialog.getByRole('button', { name: 'Stop and restore' }).click();
    const toast = page.getByRole('status').getByText(new RegExp(`^Restored ${name} to good and started it again; the state before is in (pre-restore-\\d{8}-\\d{6})$`));
    await toast.waitFor({ timeout: 30_000 });
    const safety = /(pre-restore-\d{8}-\d{6})/.exec((await toast.textContent())!)![1]!;
    expect(await world.own.incus('file', 'pull', `${name}/root/work`, '-')).toBe('good\n');
    expect((await world.own.incus('list', name, '-c', 's', '--format', 'csv')).trim()).toBe('RUNNING');
    await row(page, safety).getByText('safety snapshot').waitFor();

    await page.getByRole('status').getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('status').getByText(new RegExp(`^Restored ${name} to ${safety} and started it again`)).waitFor({ timeout: 30_000 });
    expect(await world.own.incus('file', 'pull', `${name}/root/work`, '-')).toBe('later\n');
    expect((await world.own.incus('list', name, '-c', 's', '--format', 'csv')).trim()).toBe('RUNNING');
    await page.close();
  });
});

describe('the container page at any size', () => {
  /** What would be cut off or scroll sideways: page overflow, and key controls or badges outside the window or their row. */
  async function layoutProblems(page: Page, snapshot: string): Promise<string[]> {
    const problems: string[] = [];
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { scrollingElement: { scrollWidth: number; clientWidth: number } } }).document.scrollingElement;
      return root.scrollWidth - root.clientWidth;
    });
    if (overflow > 0) problems.push(`the page scrolls sideways by ${overflow}px`);
    const viewport = page.viewportSize()!;
    const controls = [
      page.getByRole('button', { name: 'Create snapshot' }),
      page.getByRole('button', { name: 'Delete all' }),
      page.getByRole('searchbox', { name: 'Filter snapshots' }),
      page.getByRole('button', { name: `Restore ${snapshot}` }),
      page.getByRole('button', { name: `More actions for ${snapshot}` }),
    ];
    for (const control of controls) {
      await control.scrollIntoViewIfNeeded();
      const box = await control.boundingBox();
      if (!box || box.x < 0 || box.x + box.width > viewport.width + 0.5) problems.push(`${await control.getAttribute('aria-label') ?? await control.textContent()} is outside the window (${JSON.stringify(box)})`);
    }
    for (const name of await page.locator('[role="rowheader"] .name').all()) {
      if (await name.evaluate((element) => element.scrollWidth > element.clientWidth)) problems.push(`the name ${await name.textContent()} is cut off`);
    }
    const target = row(page, snapshot);
    const rowBox = (await target.boundingBox())!;
    for (const badge of await target.locator('.badge').all()) {
      const box = (await badge.boundingBox())!;
      if (box.x < rowBox.x || box.x + box.width > rowBox.x + rowBox.width + 0.5 || box.y < rowBox.y - 0.5 || box.y + box.height > rowBox.y + rowBox.height + 0.5) problems.push(`badge "${await badge.textContent()}" is cut off`);
    }
    return problems;
  }

  it('holds at 1280×800, 800×600 and 200% zoom, with the Operations drawer open and an expiry badge, light and dark', async () => {
    const name = await withSnapshots('size', ['pre-restore-20261126-231507', 'snap-20261126-231507']);
    // An expiry badge on the row the layout checks, set the way the app sets it.
    await world.core.handlers['snapshots.setExpiry']({ host: 'local', container: name, snapshot: 'snap-20261126-231507', expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString() });
    for (const { label, options } of WINDOW_SIZES) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await open(`#/host/local/container/${name}`, { ...options, colorScheme });
        await row(page, 'snap-20261126-231507').getByText(/^expires in \d+ days$/).waitFor();
        expect(await layoutProblems(page, 'snap-20261126-231507'), `${label} ${colorScheme}`).toEqual([]);
        await shot(page, `container-page-${label}-${colorScheme}`);
        await page.getByRole('button', { name: /^Operations/ }).click();
        await page.getByRole('complementary', { name: 'Operations' }).waitFor();
        expect(await layoutProblems(page, 'snap-20261126-231507'), `${label} ${colorScheme} with the drawer`).toEqual([]);
        await shot(page, `container-page-${label}-${colorScheme}-drawer`);
        expect(page.violations).toEqual([]);
        await page.close();
      }
    }
  });
});
