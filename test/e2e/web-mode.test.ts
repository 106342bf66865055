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

  it('without the token the page says what is wrong', async () => {
    const page = await world.ui.browser.newPage();
    await page.goto(world.ui.server.url);
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toMatch(/missing or wrong token/);
    await page.close();
  });
});
