import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import type { WebServer } from '../../src/main/web/server';
import { SCREENSHOTS, openWebUi, type WebUi } from '../helpers/browser';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';
import { archiveInContainer, folderContent, mountedContainer, writeHostFile } from '../helpers/mounts';
import { openCore } from '../helpers/transports';

let own: Fixtures;
let core: CoiCore;
let server: WebServer;
let browser: Browser;
let ui: WebUi | undefined;
const folders: (() => void)[] = [];

beforeAll(async () => {
  requireDaemon();
  own = await Fixtures.inProject('uimounts');
  ({ core } = await openCore(own.project));
  ui = await openWebUi(core);
  ({ server, browser } = ui);
});
afterAll(async () => {
  await ui?.close();
  await core?.close();
  await own?.cleanup();
  for (const remove of folders) remove();
});

async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}#token=${server.token}`);
  await page.evaluate((hash) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
  }, path);
  return page;
}

describe('a container with a folder mounted from the host', () => {
  it('names the mount on the page and in the dialogs, and "Also restore mounted folders" brings the file back', async () => {
    const { name, dir, remove } = await mountedContainer(own, testName('uim'), { 'code.txt': 'v1' });
    folders.push(remove);
    const page = await open(`#/host/local/container/${name}`);
    await page.getByText(`Not in snapshots: /workspace (host folder ${dir}).`).waitFor();

    await page.keyboard.press('n');
    const create = page.getByRole('dialog', { name: `Create snapshot of ${name}` });
    await create.getByLabel('Name').fill('before-ai');
    const include = create.getByRole('checkbox', { name: /Include mounted folders \(\/workspace\), leaving out node_modules/ });
    await include.check();
    await create.getByRole('button', { name: 'Create snapshot' }).click();
    await create.waitFor({ state: 'detached' });
    expect(await archiveInContainer(name, own.project)).toBe(false);

    writeHostFile(dir, 'code.txt', 'agent version');
    writeHostFile(dir, 'added.txt', 'new');
    await page.getByRole('button', { name: 'Restore before-ai' }).click();
    const restore = page.getByRole('dialog', { name: `Restore ${name}` });
    const also = restore.getByRole('checkbox', { name: /Also restore mounted folders \(\/workspace: 1 file,/ });
    await expect.poll(() => also.isChecked()).toBe(true);
    await also.uncheck();
    await restore.getByText(`Not in snapshots: /workspace (host folder ${dir}); files in /workspace will stay as they are now.`).waitFor();
    await also.check();
    await page.screenshot({ path: join(SCREENSHOTS, 'restore-dialog-mounts.png') });
    await restore.getByRole('button', { name: 'Stop and restore' }).click();
    await restore.waitFor({ state: 'detached', timeout: 60_000 });
    expect(folderContent(dir)).toEqual({ 'code.txt': 'v1' });
    expect(await archiveInContainer(name, own.project)).toBe(false);
  });
});
