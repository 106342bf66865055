import { afterAll, describe, expect, it } from 'vitest';
import { shot, useWebWorld } from '../helpers/browser';
import { testName } from '../helpers/incus';
import { archiveInContainer, folderContent, mountedContainer, writeHostFile } from '../helpers/mounts';

const world = useWebWorld('uimounts');

const folders: (() => void)[] = [];

afterAll(async () => {
  for (const remove of folders) remove();
});

const { open } = world;

describe('a container with a folder mounted from the host', () => {
  it('names the mount on the page and in the dialogs, and "Also restore mounted folders" brings the file back', async () => {
    const { name, dir, remove } = await mountedContainer(world.own, testName('uim'), { 'code.txt': 'v1' });
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
    expect(await archiveInContainer(name, world.own.project)).toBe(false);

    writeHostFile(dir, 'code.txt', 'agent version');
    writeHostFile(dir, 'added.txt', 'new');
    await page.getByRole('button', { name: 'Restore before-ai' }).click();
    const restore = page.getByRole('dialog', { name: `Restore ${name}` });
    const also = restore.getByRole('checkbox', { name: /Also restore mounted folders \(\/workspace: 1 file,/ });
    await expect.poll(() => also.isChecked()).toBe(true);
    await also.uncheck();
    await restore.getByText(`Not in snapshots: /workspace (host folder ${dir}); files in /workspace will stay as they are now.`).waitFor();
    await also.check();
    await shot(page, 'restore-dialog-mounts');
    await restore.getByRole('button', { name: 'Stop and restore' }).click();
    await restore.waitFor({ state: 'detached', timeout: 60_000 });
    expect(folderContent(dir)).toEqual({ 'code.txt': 'v1' });
    expect(await archiveInContainer(name, world.own.project)).toBe(false);
  });
});
