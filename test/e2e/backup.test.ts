import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { shot, useWebWorld, type PageOptions } from '../helpers/browser';
import { testName } from '../helpers/incus';

const world = useWebWorld('backup-ui');

let container: string;

beforeAll(async () => {
  container = await world.own.launch(testName('ui'));
  await world.own.incus('exec', container, '--', 'sh', '-c', 'echo at-s1 > /marker');
  await world.own.incus('snapshot', 'create', container, 's1');
  await world.own.incus('exec', container, '--', 'sh', '-c', 'echo now > /marker');
}, 60_000);

const open = (path: string, options?: PageOptions) => world.open(path, { acceptDownloads: true, ...options });
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Clicks the dialog's download button and returns the saved file and the name the server gave it. */
async function download(page: Page, button: string): Promise<{ path: string; name: string }> {
  const [started] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const path = await started.path();
  return { path, name: started.suggestedFilename() };
}

describe('backups in the browser (web mode)', () => {
  it('exports a container from its page as a download whose SHA-256 is the one the drawer shows, and a snapshot from its menu', async () => {
    const page = await open(`#/host/local/container/${container}`);
    await page.getByRole('heading', { name: container, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: `Export ${container}` });
    await dialog.waitFor();
    await shot(page, 'backup-export-dialog');
    await dialog.getByLabel(/Leave out the snapshots/).check();
    const whole = await download(page, 'Download backup');
    expect(whole.name).toMatch(new RegExp(`^${container}-\\d{8}-\\d{6}\\.tar\\.gz$`));
    const results = page.getByRole('list', { name: 'Results' });
    await results.getByText(`SHA-256 ${sha256(whole.path)}`).waitFor();

    await page.getByRole('button', { name: 'More actions for s1' }).click();
    await page.getByRole('menuitem', { name: 'Export…' }).click();
    await page.getByRole('dialog', { name: `Export ${container} at snapshot s1` }).waitFor();
    const atSnapshot = await download(page, 'Download backup');
    expect(atSnapshot.name).toBe(`${container}-s1.tar.gz`);
    await results.getByText(`SHA-256 ${sha256(atSnapshot.path)}`).waitFor();
    await shot(page, 'backup-export-done');
    await page.close();
  }, 60_000);

  it('imports a backup file from the host page by upload, under a new name', async () => {
    const page = await open(`#/host/local/container/${container}`);
    await page.getByRole('button', { name: 'More actions for s1' }).click();
    await page.getByRole('menuitem', { name: 'Export…' }).click();
    const file = await download(page, 'Download backup');
    await page.goto(`${world.ui.server.url}#/host/local`);
    await page.getByRole('button', { name: 'Import backup…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a backup on local' });
    await dialog.waitFor();
    await dialog.getByLabel('New container name (optional)').fill(container);
    await dialog.getByText(`local already has a container named ${container}`).waitFor();
    expect(await dialog.getByRole('button', { name: 'Upload and import' }).isDisabled()).toBe(true);
    const copy = testName('ui-imported');
    world.own.adopt(copy);
    await dialog.getByLabel('Backup file').setInputFiles(file.path);
    await dialog.getByLabel('New container name (optional)').fill(copy);
    await shot(page, 'backup-import-dialog');
    await dialog.getByRole('button', { name: 'Upload and import' }).click();
    await page.getByRole('list', { name: 'Results' }).getByText(`as ${copy} on local`).waitFor({ timeout: 30_000 });
    expect((await world.own.incus('file', 'pull', `${copy}/marker`, '-')).trim()).toBe('at-s1');
    await page.close();
  }, 60_000);

  it('looks right at 800×600 and in the dark', async () => {
    const small = await open(`#/host/local/container/${container}`, { viewport: { width: 800, height: 600 } });
    await small.getByRole('button', { name: 'Export…' }).click();
    await small.getByRole('dialog', { name: `Export ${container}` }).waitFor();
    await shot(small, 'backup-export-800x600');
    await small.close();
    const dark = await open('#/host/local', { colorScheme: 'dark' });
    await dark.getByRole('button', { name: 'Import backup…' }).click();
    await dark.getByRole('dialog', { name: 'Import a backup on local' }).waitFor();
    await shot(dark, 'backup-import-dark');
    await dark.close();
  }, 30_000);
});
