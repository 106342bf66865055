import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoiCore } from '../../src/main/app/core';
import { openPage, openWebUi, type WebUi } from '../helpers/browser';
import { tempHome } from '../helpers/hosts';

let core: CoiCore;
let ui: WebUi | undefined;
let configDir: string;

beforeAll(async () => {
  const home = tempHome();
  configDir = home.configDir;
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'hosts.json'), '{ broken');
  core = await CoiCore.open({ configDir, home: home.home, env: { ...process.env, SSH_AUTH_SOCK: '' }, platform: 'linux' });
  ui = await openWebUi(core);
});
afterAll(async () => {
  await ui?.close();
  await core?.close();
});

describe('a corrupt hosts.json in web mode', () => {
  it('shows a banner that names the backup, then one for a file that turns corrupt later; each can be dismissed', async () => {
    const page = await openPage(ui!);
    const banner = page.getByRole('alert').filter({ hasText: 'Saved hosts could not be read.' });
    await expect(banner.textContent()).resolves.toMatch(/hosts\.json could not be read \(not JSON: .*\); it was kept as .*hosts\.json\.corrupt-\d{8}-\d{6}-\d+-[0-9a-f]{6}/);

    writeFileSync(join(configDir, 'hosts.json'), '{"version": 2}');
    await banner.filter({ hasText: '(version: ' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss' }).first().click();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await banner.first().waitFor({ state: 'detached' });
    await page.close();
  });
});
