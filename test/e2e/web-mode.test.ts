import { describe, expect, it } from 'vitest';
import { shot, useWebWorld } from '../helpers/browser';
import { testName } from '../helpers/incus';

const world = useWebWorld('web');

describe('the renderer in Chromium through web mode', () => {
  it("gets window.coi from the page's token, shows the real containers, and drops the token from the address bar", async () => {
    const name = await world.own.launch(testName('web'), { stopped: true });
    const page = await world.open();
    await page.getByRole('checkbox', { name: 'All instances' }).check();
    await page.getByRole('searchbox', { name: 'Search containers' }).fill(name);
    await page.getByRole('button', { name, exact: true }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(() => Object.keys((globalThis as unknown as { coi: object }).coi).length)).toBeGreaterThan(20);
    await shot(page, 'web-mode-smoke');
    expect(page.errors, page.errors.join('\n')).toEqual([]);
    await page.close();
  });

  it("shows the overview's rows having loaded no other page's code, and loads a container page when it is opened", async () => {
    const name = await world.own.launch(testName('lazy'), { stopped: true });
    // The scripts the page had fetched when its first row went in (recorded in the page, at that moment).
    const init = `new MutationObserver((_, observer) => {
      if (!document.querySelector('[aria-label="Containers on every host"] [role="row"]')) return;
      observer.disconnect();
      window.scriptsAtFirstRow = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => url.endsWith('.js'));
    }).observe(document, { childList: true, subtree: true });`;
    const page = await world.open('', { init });
    await page.getByRole('checkbox', { name: 'All instances' }).check();
    await page.getByRole('button', { name, exact: true }).waitFor({ timeout: 10_000 });
    const urls = await page.evaluate(() => (globalThis as unknown as { scriptsAtFirstRow: string[] }).scriptsAtFirstRow);
    const code = (await Promise.all(urls.map(async (url) => (await page.request.get(url)).text()))).join('\n');
    expect(urls.length).toBeGreaterThan(0);
    // No schemas (zod), no dialogs or menus (bits-ui), no cron parsing (croner), no container page.
    for (const mark of ['ZodError', '--bits-dialog-depth', 'CronPattern', 'Snapshots of ']) expect({ mark, loaded: code.includes(mark) }).toEqual({ mark, loaded: false });

    await page.getByRole('button', { name, exact: true }).click();
    await page.getByRole('button', { name: 'Create snapshot' }).waitFor({ timeout: 10_000 });
    expect(page.errors, page.errors.join('\n')).toEqual([]);
    expect(page.violations).toEqual([]);
    await page.close();
  });

  it('without the token the page says what is wrong', async () => {
    const page = await world.ui.browser.newPage();
    await page.goto(world.ui.server.url);
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toMatch(/missing or wrong token/);
    await page.close();
  });
});
