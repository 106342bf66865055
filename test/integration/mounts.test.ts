import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, interruptedAt } from '../helpers/cli';
import { tempHome } from '../helpers/hosts';
import { Fixtures, incus, requireDaemon, snapshotNames, status, testName } from '../helpers/incus';
import { archiveInContainer, folderContent, mountedContainer, writeHostFile } from '../helpers/mounts';
import { keygenFingerprint, requireSshd, sshdWithKey, type KeyPair, type TestSshd } from '../helpers/sshd';

const fixtures = new Fixtures();
const folders: (() => void)[] = [];
let sshd: TestSshd;
let key: KeyPair;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  ({ sshd, key } = await sshdWithKey('mounts'));
});
afterAll(async () => {
  await sshd?.stop();
  await fixtures.cleanup();
  for (const remove of folders) remove();
});

/** The project as it was at the snapshot: one file to edit, one to delete, a dependency folder left out. */
const BEFORE = { 'code.txt': 'v1', 'gone.txt': 'keep me', 'src/lib.txt': 'lib v1', 'node_modules/dep.js': 'dep v1' };

async function workspace(label: string) {
  const made = await mountedContainer(fixtures, testName(label), BEFORE);
  folders.push(made.remove);
  return made;
}

/** What the "agent" does after the snapshot: edits, deletes a file and a folder, adds both, and updates a dependency. */
function agentWorks(dir: string): void {
  writeHostFile(dir, 'code.txt', 'agent version');
  rmSync(join(dir, 'gone.txt'));
  rmSync(join(dir, 'src'), { recursive: true });
  writeHostFile(dir, 'added.txt', 'new file');
  writeHostFile(dir, 'added-dir/deep.txt', 'new folder');
  writeHostFile(dir, 'node_modules/dep.js', 'dep v2');
}

const AFTER = { 'code.txt': 'agent version', 'added.txt': 'new file', 'added-dir/deep.txt': 'new folder', 'node_modules/dep.js': 'dep v2' };

const heldRecord = async (name: string) => (await incus('config', 'get', name, 'user.coi-desktop.snapshot-mounts')).trim();

describe('what a snapshot does not hold', () => {
  it('names the mounted folder on create and restore, in info and container list JSON, and leaves it untouched', async () => {
    const { name, dir } = await workspace('mnotice');
    const made = await cli(['snapshot', 'create', 'before-ai', '-c', name]);
    expect(made.code).toBe(0);
    expect(made.stderr).toContain(`not in snapshots: /workspace (host folder ${dir})`);

    const info = JSON.parse((await cli(['snapshot', 'info', 'before-ai', '-c', name, '--format', 'json'])).stdout) as Record<string, unknown>;
    expect(info.not_captured).toEqual([{ path: '/workspace', source: dir, kind: 'host-folder' }]);
    expect(info.mounts_included).toEqual([]);
    const listed = JSON.parse((await cli(['container', 'list', '--format', 'json'])).stdout) as { name: string; not_captured: unknown }[];
    expect(listed.find((container) => container.name === name)?.not_captured).toEqual([{ path: '/workspace', source: dir, kind: 'host-folder' }]);

    agentWorks(dir);
    await incus('stop', name);
    const refused = await cli(['snapshot', 'restore', 'before-ai', '-c', name, '-f', '--include-mounts']);
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.stderr).toContain("snapshot 'before-ai' holds no mounted folders");
    expect(await snapshotNames(name)).toEqual(['before-ai']);

    const restored = await cli(['snapshot', 'restore', 'before-ai', '-c', name, '-f']);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toContain(`not in snapshots: /workspace (host folder ${dir}); files in /workspace will stay as they are now`);
    expect(folderContent(dir)).toEqual(AFTER);
  });
});

describe('snapshots that include the mounted folders', () => {
  it('brings back an edited, a deleted and an added file, leaves excluded folders alone, and the safety snapshot undoes it', async () => {
    const { name, dir } = await workspace('minclude');
    const made = await cli(['snapshot', 'create', 'before-ai', '-c', name, '--include-mounts']);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/archiving \/workspace \(host folder .*\): 3 files, 15 B \(leaving out node_modules, \.venv, target, dist, \.cache\)/);
    expect(made.stderr).not.toContain('not in snapshots');
    expect(await archiveInContainer(name)).toBe(false);
    expect(await heldRecord(name)).toBe('');
    const info = JSON.parse((await cli(['snapshot', 'info', 'before-ai', '-c', name, '--format', 'json'])).stdout) as Record<string, unknown>;
    expect(info.mounts_included).toMatchObject([{ path: '/workspace', source: dir, files: 3 }]);
    expect(info.not_captured).toEqual([]);

    agentWorks(dir);
    await incus('stop', name);
    const restored = await cli(['snapshot', 'restore', 'before-ai', '-c', name, '-f', '--include-mounts']);
    expect(restored.code).toBe(0);
    expect(restored.stderr).not.toContain('not in snapshots');
    expect(folderContent(dir)).toEqual({ ...BEFORE, 'node_modules/dep.js': 'dep v2' });
    expect(await status(name)).toBe('STOPPED');
    expect(await archiveInContainer(name)).toBe(false);
    expect(await heldRecord(name)).toBe('');

    const safety = /undo: coi-desktop snapshot restore (pre-restore-\S+) -c \S+ --include-mounts/.exec(restored.stderr)?.[1];
    expect(safety).toBeDefined();
    const undone = await cli(['snapshot', 'restore', safety!, '-c', name, '-f', '--include-mounts', '--no-safety-snapshot']);
    expect(undone.code).toBe(0);
    expect(folderContent(dir)).toEqual(AFTER);
    expect(await archiveInContainer(name)).toBe(false);

    // A branch of it gets neither the archive nor the record.
    const branch = await cli(['snapshot', 'branch', 'before-ai', `${name}-b`, '-c', name]);
    expect(branch.code).toBe(0);
    fixtures.adopt(`${name}-b`);
    expect(await archiveInContainer(`${name}-b`)).toBe(false);
    expect(await heldRecord(`${name}-b`)).toBe('');

    // Without --include-mounts the folder stays, the notice says so, and the archive the snapshot holds is not left behind.
    const plain = await cli(['snapshot', 'restore', 'before-ai', '-c', name, '-f', '--no-safety-snapshot']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain('files in /workspace will stay as they are now');
    expect(plain.stderr).toContain("snapshot 'before-ai' holds /workspace: add --include-mounts to put it back too");
    expect(folderContent(dir)).toEqual(AFTER);
    expect(await archiveInContainer(name)).toBe(false);
    expect(await heldRecord(name)).toBe('');
  });

  it('brings back files and folders whose names hold a newline', async () => {
    const { name, dir } = await workspace('mnewline');
    writeHostFile(dir, 'two\nlines.txt', 'v1');
    writeHostFile(dir, 'odd\nfolder/inner.txt', 'inner v1');
    const made = await cli(['snapshot', 'create', 'before-ai', '-c', name, '--include-mounts']);
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/archiving \/workspace \(host folder .*\): 5 files/);

    writeHostFile(dir, 'two\nlines.txt', 'agent version');
    rmSync(join(dir, 'odd\nfolder'), { recursive: true });
    writeHostFile(dir, 'new\nfile.txt', 'added');
    writeHostFile(dir, 'new\nfolder/deep.txt', 'added');
    await incus('stop', name);
    const restored = await cli(['snapshot', 'restore', 'before-ai', '-c', name, '-f', '--include-mounts', '--no-safety-snapshot']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(folderContent(dir)).toEqual({ ...BEFORE, 'two\nlines.txt': 'v1', 'odd\nfolder/inner.txt': 'inner v1' });
    expect(existsSync(join(dir, 'new\nfolder'))).toBe(false);
  });

  it('leaves out the names of the container\'s exclude list, set with container mount-excludes', async () => {
    const { name } = await workspace('mexcl');
    expect((await cli(['container', 'mount-excludes', name])).stdout).toBe('node_modules,.venv,target,dist,.cache\n');
    expect((await cli(['container', 'mount-excludes', name, '--set', 'src,build'])).stdout).toBe('src,build\n');
    const made = await cli(['snapshot', 'create', 'lean', '-c', name, '--include-mounts']);
    expect(made.stderr).toMatch(/archiving \/workspace \(host folder .*\): 3 files, 15 B \(leaving out src, build\)/);
    expect((await cli(['container', 'mount-excludes', name, '--set', ''])).stdout).toBe('\n');
  });

  it('refuses cleanly, naming the missing tool, when the container cannot run them', async () => {
    const { name, dir } = await workspace('mtools');
    expect((await cli(['snapshot', 'create', 'with-sh', '-c', name, '--include-mounts'])).code).toBe(0);
    await incus('exec', name, '--', '/bin/busybox', 'rm', '/bin/sh');

    const create = await cli(['snapshot', 'create', 'no-sh', '-c', name, '--include-mounts']);
    expect(create.code).toBe(1);
    expect(create.stderr).toMatch(/Error: container '.*' lacks sh .*nothing was changed/);
    expect(await snapshotNames(name)).toEqual(['with-sh']);

    agentWorks(dir);
    await incus('stop', name);
    const restore = await cli(['snapshot', 'restore', 'with-sh', '-c', name, '-f', '--include-mounts']);
    // Stopped, this container cannot even start without sh (its init is a shell script): refused all the same.
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/nothing was changed/);
    expect(await snapshotNames(name)).toEqual(['with-sh']);
    expect(folderContent(dir)).toEqual(AFTER);
    expect(await heldRecord(name)).toBe('');
  });

  it('works the same on a host reached over SSH', async () => {
    const home = tempHome();
    const env = { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' };
    const fingerprint = await keygenFingerprint(`${sshd.hostKey}.pub`);
    expect((await cli(['host', 'add', 'box', '--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file, '--trust-fingerprint', fingerprint], { env })).code).toBe(0);
    const { name, dir } = await workspace('mssh');
    const over = (args: string[]) => cli([...args, '-c', name, '--host', 'box'], { env });

    const made = await over(['snapshot', 'create', 'before-ai', '--include-mounts']);
    expect(made.code).toBe(0);
    expect(await archiveInContainer(name)).toBe(false);
    agentWorks(dir);
    // Running, with --stop: stopped for the restore, the folder put back, and running again.
    const restored = await over(['snapshot', 'restore', 'before-ai', '-f', '--include-mounts', '--stop']);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toContain('it was stopped for the restore and is running again');
    expect(folderContent(dir)).toEqual({ ...BEFORE, 'node_modules/dep.js': 'dep v2' });
    expect(await status(name)).toBe('RUNNING');
    expect(await archiveInContainer(name)).toBe(false);
  });
});

describe('Ctrl-C during a create that includes the mounted folders', () => {
  const interruptAt = (name: string, step: string, then: string) => interruptedAt(['snapshot', 'create', 'cut-short', '-c', name, '--include-mounts'], step, then);

  it('while the folder is archived: removes the archive and the record, stops the container again, takes no snapshot', async () => {
    const { name } = await workspace('mintarch');
    await incus('stop', name, '--force');
    const run = await interruptAt(name, 'exec tar -cf', '/wait'); // the wait for the exec that writes the archive
    expect(run.code).toBe(130);
    expect(run.stderr).not.toContain('left behind');
    expect(await archiveInContainer(name)).toBe(false);
    expect(await heldRecord(name)).toBe('');
    expect(await status(name)).toBe('STOPPED');
    expect(await snapshotNames(name)).toEqual([]);
  });

  it('while the snapshot is taken: lets Incus finish it, then removes the archive and says where to look', async () => {
    const { name } = await workspace('mintsnap');
    const run = await interruptAt(name, '"name":"cut-short"', '/wait'); // the wait for the snapshot
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`the archives of the mounted folders were removed only once Incus had finished: 'coi-desktop snapshot list -c ${name}' shows whether the snapshot was taken`);
    expect(await archiveInContainer(name)).toBe(false);
    expect(await heldRecord(name)).toBe('');
    // The snapshot Incus went on to take holds the archive, so it can still be restored with the folder.
    expect(await snapshotNames(name)).toEqual(['cut-short']);
    const restored = await cli(['snapshot', 'restore', 'cut-short', '-c', name, '-f', '--stop', '--include-mounts', '--no-safety-snapshot']);
    expect(restored.stderr).toContain('restoring /workspace from the snapshot');
    expect(restored.code).toBe(0);
  });

  it('while the container is started for it: stops it again and says nothing was changed', async () => {
    const { name } = await workspace('mintstart');
    await incus('stop', name, '--force');
    const run = await interruptAt(name, '"action":"start"', '/wait');
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`container '${name}' was not started (it is stopped) and nothing was changed`);
    expect(await status(name)).toBe('STOPPED');
    expect(await archiveInContainer(name)).toBe(false);
    expect(await snapshotNames(name)).toEqual([]);
  });
});
