import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { CoiCore } from '../../src/main/app/core';
import type { WebServer } from '../../src/main/web/server';
import { SCREENSHOTS, openWebUi, type WebUi } from '../helpers/browser';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';
import { openCore } from '../helpers/transports';

const fixtures = new Fixtures();
let core: CoiCore;
let server: WebServer;
let browser: Browser;
let ui: WebUi | undefined;

beforeAll(async () => {
  requireDaemon();
  ({ core } = await openCore());
  ui = await openWebUi(core);
  ({ server, browser } = ui);
});
afterAll(async () => {
  await ui?.close();
  await core?.close();
  await fixtures.cleanup();
});

describe('the renderer in Chromium through web mode', () => {
  it("gets window.coi from the page's token, shows the real containers, and drops the token from the address bar", async () => {
    const name = await fixtures.launch(testName('web'), { stopped: true });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`${server.url}#token=${server.token}`);
    await page.getByRole('checkbox', { name: 'All instances' }).check();
    // The default project may hold many other instances: the list is virtualised, so search for this one.
    await page.getByRole('searchbox', { name: 'Search containers' }).fill(name);
    await page.getByRole('button', { name, exact: true }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(() => Object.keys((globalThis as unknown as { coi: object }).coi).length)).toBeGreaterThan(20);
    await page.screenshot({ path: join(SCREENSHOTS, 'web-mode-smoke.png') });
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });

  it('without the token the page says what is wrong', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toMatch(/missing or wrong token/);
    await page.close();
  });
});
