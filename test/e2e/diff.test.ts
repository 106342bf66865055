import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { contrastOf, shot, useWebWorld, WINDOW_SIZES } from '../helpers/browser';
import { testName } from '../helpers/incus';

const world = useWebWorld('diffui');

/** A folder added after `after-edit` whose path is far wider than the file list. */
const DEEP = '/root/a-project-with-a-long-name/packages/frontend-application/src/components/settings/dialogs';

/** A running container with snapshot `before-ai`, then /root/notes.txt edited and `after-edit` taken, then edited again (and DEEP added). */
let name: string;

beforeAll(async () => {
  name = await world.own.launch(testName('diff'));
  const write = (content: string) => world.own.incus('exec', name, '--', 'sh', '-c', `printf '${content}' > /root/notes.txt`);
  await write('one\\ntwo\\nthree\\n');
  await world.own.incus('snapshot', 'create', name, 'before-ai');
  await write('one\\nTWO by the agent\\nthree\\n');
  await world.own.incus('snapshot', 'create', name, 'after-edit');
  await write('one\\nTWO by the agent\\nthree\\nfour\\n');
  await world.own.incus('exec', name, '--', 'sh', '-c', `mkdir -p ${DEEP} && echo x > ${DEEP}/view.tsx`);
});

const { open } = world;

const focused = (page: Page) => page.evaluate(() => {
  const active = (globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null; textContent: string | null } | null } }).document.activeElement;
  return active?.getAttribute('aria-label') ?? active?.textContent?.trim() ?? '';
});

describe('Changes since this snapshot', () => {
  it('shows the file edited after the snapshot, and its text diff', async () => {
    const page = await open(`/host/local/container/${name}`);
    await page.getByRole('button', { name: 'More actions for before-ai' }).click();
    await page.getByRole('menuitem', { name: 'Changes since this snapshot' }).click();
    await page.getByRole('heading', { name: 'Changes since before-ai', level: 1 }).waitFor();
    expect(await page.title()).toBe(`Changes since before-ai · ${name} · COI Desktop`);

    const notes = page.getByRole('button', { name: /^modified: notes\.txt/ });
    await notes.waitFor({ timeout: 60_000 });
    await page.getByText(/Not compared, as they change all the time: .*\/proc/).waitFor();
    await notes.click();
    const diff = page.getByRole('table', { name: 'Changes in /root/notes.txt, unified' });
    await diff.waitFor();
    const lines = await diff.getByRole('row').allTextContents();
    expect(lines.some((line) => /removed line\s*two$/.test(line))).toBe(true);
    expect(lines.some((line) => /added line\s*TWO by the agent$/.test(line))).toBe(true);
    expect(lines.some((line) => /added line\s*four$/.test(line))).toBe(true);
    await shot(page, 'diff-since-snapshot');

    // The comparison ran as a job: nothing is left running, and its result is in the Operations drawer.
    const operations = page.getByRole('button', { name: /^Operations/ });
    await expect.poll(() => operations.textContent(), { timeout: 10_000 }).toBe('Operations');
    await operations.click();
    await page.getByRole('list', { name: 'Results' }).getByText(`✓ Compare before-ai of ${name} with now`).waitFor();
    expect(page.violations).toEqual([]);
    await page.close();
  });

  it('works from the keyboard alone: the menu, the path filter, the file list, the side-by-side layout', async () => {
    const page = await open(`/host/local/container/${name}`);
    await page.getByRole('button', { name: 'More actions for before-ai' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    await page.keyboard.press('Enter'); // the first item: Changes since this snapshot
    await page.getByRole('heading', { name: 'Changes since before-ai', level: 1 }).waitFor();
    expect(await focused(page)).toBe('Changes since before-ai');

    const filter = page.getByRole('searchbox', { name: 'Filter paths' });
    await filter.waitFor({ timeout: 60_000 });
    while ((await focused(page)) !== 'Filter paths') await page.keyboard.press('Tab');
    await page.keyboard.type('notes');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/modified: notes\.txt/);
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Changes in /root/notes.txt, unified' }).waitFor();

    await page.keyboard.press('Tab'); // the layout choice
    expect(await focused(page)).toBe('Unified');
    await page.keyboard.press('ArrowRight');
    const split = page.getByRole('table', { name: 'Changes in /root/notes.txt, side by side' });
    await split.waitFor();
    expect(await split.getByRole('row').allTextContents()).toContainEqual(expect.stringMatching(/removed:\s*two\s*2\s*added:\s*TWO by the agent/));
    expect(page.violations).toEqual([]);
    await page.close();
  });
});

/**
 * Where the texts of the first elements matching `selectors` inside `within` lie on screen: each one's glyphs' box and
 * element's box, and `within`'s own box, all read in one go (one frame: a list that moves meanwhile cannot skew them).
 */
function textBoxes(within: Locator, selectors: string[]) {
  return within.evaluate((root, all) => {
    type Box = { top: number; bottom: number; left: number; right: number };
    type Node = { querySelector(css: string): Node | null; getBoundingClientRect(): Box; ownerDocument: { createRange(): { selectNodeContents(node: unknown): void; getBoundingClientRect(): Box } } };
    const plain = ({ top, bottom, left, right }: Box) => ({ top, bottom, left, right });
    const self = root as unknown as Node;
    const texts = all.map((css) => {
      const element = self.querySelector(css)!;
      const range = element.ownerDocument.createRange();
      range.selectNodeContents(element);
      return { text: plain(range.getBoundingClientRect()), box: plain(element.getBoundingClientRect()) };
    });
    return { texts, root: plain(self.getBoundingClientRect()) };
  }, selectors);
}

describe('the diff page reads well', () => {
  it('puts each change marker on the line of what it marks, and shows the end of a folder too long for the list', async () => {
    const page = await open(`/host/local/container/${name}/changes/before-ai`);
    const notes = page.getByRole('button', { name: /^modified: notes\.txt/ });
    await notes.waitFor({ timeout: 60_000 });
    // The "~" before notes.txt and in the "1 modified" badge: centred on the text beside it (it sat half a line lower).
    const middle = (box: { top: number; bottom: number }) => (box.top + box.bottom) / 2;
    const { texts: [marker, fileName] } = await textBoxes(notes, ['span[aria-hidden="true"]', '.file-name']);
    expect(Math.abs(middle(marker!.text) - middle(fileName!.text))).toBeLessThan(2);
    const badge = page.locator('.badge.change-modified');
    const { texts: [badgeMarker], root: badgeBox } = await textBoxes(badge, ['span[aria-hidden="true"]']);
    expect(badgeMarker!.text.bottom).toBeLessThanOrEqual(badgeBox.bottom);

    // The folder's row is cut at its start: its last name, the telling one, is in view.
    await page.getByRole('searchbox', { name: 'Filter paths' }).fill('dialogs');
    const folder = page.locator('.dir', { hasText: 'settings/dialogs' });
    const { text, box } = (await textBoxes(folder, ['.dir-name'])).texts[0]!;
    expect(text.right, 'the end of the folder name is inside its row').toBeLessThanOrEqual(box.right + 0.5);
    expect(await folder.getAttribute('title')).toBe(`${DEEP}: 1 added`);
    await shot(page, 'diff-long-folder');
    await page.close();
  });
});

describe('coloured text', () => {
  it('reads at a contrast of 4.5:1 or more, light and dark: the change counts, a running state, links', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await open(`/host/local/container/${name}/changes/before-ai`, { colorScheme });
      await page.getByRole('button', { name: /^modified: notes\.txt/ }).waitFor({ timeout: 60_000 });
      const samples = {
        added: page.locator('.badge.change-added'),
        modified: page.locator('.badge.change-modified'),
        'container link': page.getByRole('button', { name, exact: true }),
      };
      for (const [label, locator] of Object.entries(samples)) expect(await contrastOf(locator), `${colorScheme} ${label}`).toBeGreaterThanOrEqual(4.5);
      await page.goto(`${world.ui.server.url}#/host/local/container/${name}`);
      const running = page.getByText('Running', { exact: true });
      await running.waitFor();
      expect(await contrastOf(running), `${colorScheme} Running`).toBeGreaterThanOrEqual(4.5);
      await page.close();
    }
  });
});

describe('leaving the changes', () => {
  it('Back to the container puts focus on the snapshot the changes were of', async () => {
    const page = await open(`/host/local/container/${name}`);
    await page.getByRole('button', { name: 'More actions for after-edit' }).click();
    await page.getByRole('menuitem', { name: 'Changes since this snapshot' }).click();
    await page.getByRole('heading', { name: 'Changes since after-edit', level: 1 }).waitFor();
    await page.getByRole('button', { name: `Back to ${name}` }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    await expect.poll(() => focused(page)).toBe('Select after-edit');
    await page.keyboard.press('ArrowDown'); // still the grid's keys: the next snapshot
    expect(await focused(page)).toBe('Select before-ai');
    await page.close();
  });
});

describe('Compare two selected snapshots', () => {
  it('selects two snapshots with Space and compares them, older first', async () => {
    const page = await open(`/host/local/container/${name}`);
    const compare = page.getByRole('button', { name: 'Compare selected' });
    expect(await compare.isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: 'Select after-edit' }).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await compare.click();
    await page.getByRole('heading', { name: 'Changes from before-ai to after-edit', level: 1 }).waitFor();
    await page.getByRole('button', { name: /^modified: notes\.txt/ }).click({ timeout: 60_000 });
    const diff = page.getByRole('table', { name: 'Changes in /root/notes.txt, unified' });
    await diff.waitFor();
    const lines = await diff.getByRole('row').allTextContents();
    expect(lines.some((line) => /added line\s*TWO by the agent$/.test(line))).toBe(true);
    expect(lines.some((line) => /four$/.test(line))).toBe(false);
    await page.close();
  });
});

describe('the diff page at any size', () => {
  it('holds at 800×600 and 200% zoom, light and dark: nothing scrolls sideways, the list and the diff stay inside the window', async () => {
    for (const { label, options } of WINDOW_SIZES.filter((size) => size.label !== '1280x800')) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const page = await open(`/host/local/container/${name}/changes/before-ai`, { ...options, colorScheme });
        await page.getByRole('button', { name: /^modified: notes\.txt/ }).click({ timeout: 60_000 });
        const diff = page.getByRole('table', { name: 'Changes in /root/notes.txt, unified' });
        await diff.scrollIntoViewIfNeeded();
        const [box, viewport] = [(await diff.boundingBox())!, page.viewportSize()!];
        const sideways = await page.evaluate(() => {
          const root = (globalThis as unknown as { document: { scrollingElement: { scrollWidth: number; clientWidth: number; scrollTop: number } } }).document.scrollingElement;
          return { overflow: root.scrollWidth - root.clientWidth, scrolled: root.scrollTop };
        });
        expect(sideways, `${label} ${colorScheme}`).toEqual({ overflow: 0, scrolled: 0 });
        expect(box.x >= 0 && box.x + box.width <= viewport.width + 0.5 && box.y < viewport.height, `${label} ${colorScheme}: ${JSON.stringify(box)}`).toBe(true);
        await shot(page, `diff-${label}-${colorScheme}`);
        expect(page.violations).toEqual([]);
        await page.close();
      }
    }
  });
});
