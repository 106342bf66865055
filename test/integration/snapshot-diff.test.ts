import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import type { CoiEvent } from '../../src/shared/contract';
import type { DiffResult } from '../../src/shared/diff';
import { HostRegistry } from '../../src/main/hosts/registry';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { cli, cliProcess, exited, interruptedAt, spawnCli } from '../helpers/cli';
import { knowHost, sshHost, tempHome } from '../helpers/hosts';
import { Fixtures, incus, requireDaemon, runProcess, snapshotNames, testName } from '../helpers/incus';
import { requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';
import { SocketProxy } from '../helpers/socket-proxy';
import { openCore, preloadFace, type Face } from '../helpers/transports';

/**
 * `snapshot diff` on the real daemon: a container where the test adds, deletes, edits (same size),
 * chmods and re-links files and changes packages (a hand-written dpkg status file: busybox has no
 * dpkg) between two snapshots; the diff must report exactly those, and leave nothing behind.
 */
const fixtures = new Fixtures();
let container: string;
let sshd: TestSshd | undefined;
/** sshd servers of the fault tests. */
const servers: TestSshd[] = [];
const opened: { core: CoiCore; face: Face }[] = [];

const dpkgStatus = (packages: [string, string][]) =>
  packages.map(([name, version]) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`).join('\n');

const BEFORE = `mkdir -p /data /var/lib/dpkg && cd /data && printf 'hello world\\n' > edit.txt && printf 'bye\\n' > gone.txt && printf 'x' > keep.txt
printf '#!/bin/sh\\n' > mode.sh && chmod 644 mode.sh && ln -s keep.txt link
cat > /var/lib/dpkg/status <<'EOF'
${dpkgStatus([['alpha', '1.0'], ['beta', '2.0'], ['gamma', '1.0']])}
EOF`;

const AFTER = `cd /data && printf 'new file\\n' > new.txt && rm gone.txt && printf 'HELLO world\\n' > edit.txt && chmod 755 mode.sh && ln -sfn edit.txt link
printf 'noise' > /tmp/noise
cat > /var/lib/dpkg/status <<'EOF'
${dpkgStatus([['alpha', '1.1'], ['gamma', '1.0'], ['delta', '3.0']])}
EOF`;

/** Temporary objects of this test's container: images whose alias names it, and snapshots besides its own. */
async function leftovers(): Promise<{ images: string[]; snapshots: string[]; backups: string }> {
  const images = (await incus('image', 'list', '--format', 'csv', '-c', 'l')).split('\n').filter((alias) => alias.includes(container));
  const snapshots = (await incus('snapshot', 'list', container, '--format', 'csv', '-c', 'n')).split('\n').filter((name) => name && !['before', 'after'].includes(name));
  const backups = (await incus('query', `/1.0/instances/${container}/backups`)).trim();
  return { images, snapshots, backups };
}

const NOTHING_LEFT = { images: [], snapshots: [], backups: '[]' };

/** The exec output logs Incus keeps for container `name`. */
async function execLogs(name: string): Promise<string[]> {
  const listed = await incus('query', `/1.0/instances/${name}/logs/exec-output`).catch((error: unknown) => {
    if (/exec-output: no such file or directory/.test(String(error))) return '[]'; // none yet
    throw error;
  });
  return (JSON.parse(listed) as string[]).sort();
}

/** Whether a sha256sum runs in container `name` (its processes are the host's, in its cgroup). */
function hashingInside(name: string): boolean {
  return readdirSync('/proc').some((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sha256sum' && readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/lxc.payload.${name}`);
    } catch {
      return false; // ended meanwhile
    }
  });
}

/** Waits until Incus runs no publish ("Downloading image", whoever started it). */
async function publishesDone(): Promise<void> {
  const running = JSON.parse(await incus('query', '/1.0/operations?recursion=1')) as { running?: { id: string; description: string }[] };
  for (const operation of running.running ?? []) {
    if (operation.description === 'Downloading image') await incus('query', `/1.0/operations/${operation.id}/wait`).catch(() => undefined);
  }
}

beforeAll(async () => {
  requireDaemon();
  container = await fixtures.launch(testName('diff'));
  await incus('exec', container, '--', 'sh', '-c', BEFORE);
  await incus('snapshot', 'create', container, 'before');
  await incus('exec', container, '--', 'sh', '-c', AFTER);
  await incus('snapshot', 'create', container, 'after');
});

afterAll(async () => {
  for (const { core, face } of opened) {
    await face.close();
    await core.close();
  }
  await sshd?.stop();
  for (const server of servers) await server.stop();
  await fixtures.cleanup();
});

const paths = (entries: { path: string }[]) => entries.map((entry) => entry.path);

/** Exactly the changes the test made, in the JSON a user reads. */
function expectTheChanges(result: DiffResult): void {
  expect(paths(result.added)).toEqual(['/data/new.txt']);
  expect(paths(result.deleted)).toEqual(['/data/gone.txt']);
  expect(paths(result.modified)).toEqual(['/data/edit.txt', '/var/lib/dpkg/status']);
  expect(result.modified[0]).toMatchObject({ changes: ['content'], before: { size: 12 }, after: { size: 12 } });
  expect(result.metadata.map((entry) => [entry.path, entry.changes])).toEqual([
    ['/data/link', ['target']],
    ['/data/mode.sh', ['mode']],
  ]);
  expect(result.metadata[0]).toMatchObject({ before: { target: 'keep.txt' }, after: { target: 'edit.txt' } });
  expect(result.metadata[1]).toMatchObject({ before: { mode: '0644' }, after: { mode: '0755' } });
  expect(result.packages).toEqual({
    managers: ['dpkg'],
    installed: [{ name: 'delta', version: '3.0' }],
    removed: [{ name: 'beta', version: '2.0' }],
    upgraded: [{ name: 'alpha', from: '1.0', to: '1.1' }],
  });
  expect(result.excluded).toContain('/tmp');
}

describe('snapshot diff (CLI, local daemon)', () => {
  it('reports exactly what changed since a snapshot, in JSON, and leaves nothing behind', async () => {
    const run = await cli(['snapshot', 'diff', 'before', '-c', container, '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as DiffResult;
    expect(result.from.snapshot).toBe('before');
    expect(result.to.snapshot).toBeNull();
    expectTheChanges(result);
    expect(await leftovers()).toEqual(NOTHING_LEFT);

    // the snapshot's manifest is cached: the second diff reads only the container
    const again = JSON.parse((await cli(['snapshot', 'diff', 'before', '-c', container, '--format', 'json'])).stdout) as DiffResult;
    expect(again.cached).toEqual({ from: true, to: false });
    expectTheChanges(again);
  });

  it('compares two snapshots older first whichever order they are given, in text', async () => {
    const run = await cli(['snapshot', 'diff', 'after', 'before', '-c', container]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Changes in ${container} from snapshot before (`);
    expect(run.stdout).toContain(') to snapshot after (');
    expect(run.stdout).toContain('  + /data/new.txt  9 B, 0644');
    expect(run.stdout).toContain('  - /data/gone.txt  4 B, 0644');
    expect(run.stdout).toContain('  ~ /data/edit.txt  12 B → 12 B');
    expect(run.stdout).toContain('  m /data/link  target keep.txt → edit.txt');
    expect(run.stdout).toContain('  m /data/mode.sh  mode 0644 → 0755');
    expect(run.stdout).toContain('  + delta 3.0\n  - beta 2.0\n  ~ alpha 1.0 → 1.1');
    expect(run.stdout).toContain('Summary: 1 added, 1 deleted, 2 modified, 2 metadata changes; packages: 1 installed, 1 removed, 1 upgraded');
    expect(run.stdout).toContain('Left out: /proc /sys /dev /run /tmp');
    expect(run.stdout).not.toContain('/tmp/noise');

    const json = JSON.parse((await cli(['snapshot', 'diff', 'after', 'before', '-c', container, '--format', 'json'])).stdout) as DiffResult;
    expect([json.from.snapshot, json.to.snapshot]).toEqual(['before', 'after']);
    expectTheChanges(json);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('limits the comparison with --path and includes /tmp with --all-paths', async () => {
    const limited = JSON.parse((await cli(['snapshot', 'diff', 'before', 'after', '-c', container, '--path', '/data/edit.txt', '--path', '/data/mode.sh', '--format', 'json'])).stdout) as DiffResult;
    expect([paths(limited.added), paths(limited.deleted), paths(limited.modified), paths(limited.metadata)]).toEqual([[], [], ['/data/edit.txt'], ['/data/mode.sh']]);
    expect(limited.packages).toBeNull();

    const current = JSON.parse((await cli(['snapshot', 'diff', 'before', '-c', container, '--path', '/data', '--format', 'json'])).stdout) as DiffResult;
    expect(paths(current.added)).toEqual(['/data/new.txt']);
    expect(paths(current.modified)).toEqual(['/data/edit.txt']);

    const all = JSON.parse((await cli(['snapshot', 'diff', 'before', '-c', container, '--all-paths', '--format', 'json'])).stdout) as DiffResult;
    expect(all.excluded).toEqual([]);
    expect(paths(all.added)).toContain('/tmp/noise');
  });

  it('prints one file as a unified diff, against the container and between snapshots', async () => {
    for (const args of [['before'], ['before', 'after']]) {
      const run = await cli(['snapshot', 'diff', ...args, '-c', container, '--file', '/data/edit.txt']);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`--- before:/data/edit.txt\n+++ ${args[1] ?? 'current'}:/data/edit.txt\n@@ -1,1 +1,1 @@\n-hello world\n+HELLO world\n`);
    }
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('two snapshots holding the same files (nothing changed in between, stopped container) are the same: no change, nothing left', async () => {
    const still = await fixtures.launch(testName('diff-still'));
    await incus('stop', '--force', still);
    await incus('snapshot', 'create', still, 'one');
    await incus('snapshot', 'create', still, 'two');
    const run = await cli(['snapshot', 'diff', 'one', 'two', '-c', still, '--summary']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('0 added, 0 deleted, 0 modified');
    expect((await incus('image', 'list', '--format', 'csv', '-c', 'l')).split('\n').filter((alias) => alias.includes(still))).toEqual([]);
  });

  it('says what is wrong: an unknown snapshot, a relative --path', async () => {
    const missing = await cli(['snapshot', 'diff', 'nope', '-c', container]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain(`snapshot 'nope' not found for container '${container}' (it has 2 snapshots: after, before)`);
    const relative = await cli(['snapshot', 'diff', 'before', '-c', container, '--path', 'data']);
    expect(relative.code).toBe(2);
    expect(relative.stderr).toContain("--path 'data': a path inside the container starts with \"/\"");
  });

  it('reads a running container that has no sh from a temporary snapshot, and removes it', async () => {
    const bare = await fixtures.launch(testName('diffnosh'));
    await incus('snapshot', 'create', bare, 'with-sh');
    await incus('exec', bare, '--', 'rm', '/bin/sh');
    const run = await cli(['snapshot', 'diff', 'with-sh', '-c', bare, '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(paths((JSON.parse(run.stdout) as DiffResult).deleted)).toEqual(['/bin/sh']);
    expect(await snapshotNames(bare)).toEqual(['with-sh']);
    expect((await incus('image', 'list', '--format', 'csv', '-c', 'l')).split('\n').filter((alias) => alias.includes(bare))).toEqual([]);
  });

  it('finds a same-size edit whose mtime was set back, and files whose directories were swapped or renamed, when the previous listing is reused', async () => {
    const box = await fixtures.launch(testName('diffctime'));
    const SETUP = `mkdir -p /w/a /w/b /w/r && printf aaaa > /w/a/f && printf bbbb > /w/b/f && printf hello > /w/e.txt && printf r > /w/r/f
touch -d '2020-01-01 00:00:00' /w/a/f /w/b/f /w/e.txt
c=$(stat -c %Z /w/e.txt); while [ "$(date +%s)" -lt $((c + 3)) ]; do sleep 1; done`; // the listing trusts ctimes two seconds old
    await incus('exec', box, '--', 'sh', '-c', SETUP);
    await incus('snapshot', 'create', box, 's');
    const { configDir } = tempHome();
    const diff = async () => {
      const run = await cli(['snapshot', 'diff', 's', '-c', box, '--path', '/w', '--format', 'json'], { env: { COI_DESKTOP_CONFIG_DIR: configDir } });
      expect(run.stderr).toBe('');
      return JSON.parse(run.stdout) as DiffResult;
    };
    expect((await diff()).summary).toMatchObject({ added: 0, deleted: 0, modified: 0, metadata: 0 }); // the listing this computer keeps

    // same size, mtime set back: only the ctime (and the hash) tell; swapped folders: same size, mtime and ctime, another inode
    await incus('exec', box, '--', 'sh', '-c', "printf HELLO > /w/e.txt && touch -d '2020-01-01 00:00:00' /w/e.txt && mv /w/a /w/t && mv /w/b /w/a && mv /w/t /w/b && mv /w/r /w/r2");
    const after = await diff();
    expect(after.modified.map((entry) => [entry.path, entry.changes])).toEqual([
      ['/w/a/f', ['content']],
      ['/w/b/f', ['content']],
      ['/w/e.txt', ['content']],
    ]);
    expect(after.modified[2]).toMatchObject({ before: { size: 5, mtime: '2020-01-01T00:00:00.000Z' }, after: { size: 5, mtime: '2020-01-01T00:00:00.000Z' } });
    expect(paths(after.added)).toEqual(['/w/r2', '/w/r2/f']);
    expect(after.added[1]!.after!.sha256).toBe(createHash('sha256').update('r').digest('hex'));
    expect(paths(after.deleted)).toEqual(['/w/r', '/w/r/f']);

    // edited again twice, same size and mtime set back each time: each diff has the content of that moment
    for (const text of ['HeLLO', 'HELLo']) {
      await incus('exec', box, '--', 'sh', '-c', `printf ${text} > /w/e.txt && touch -d '2020-01-01 00:00:00' /w/e.txt`);
      const again = await diff();
      expect(again.modified.find((entry) => entry.path === '/w/e.txt')?.after?.sha256, text).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });

  it('a cache that cannot be written, or a cached manifest changed after it was written, costs only time: the diff is exact', async () => {
    const { configDir } = tempHome();
    const manifests = join(configDir, 'cache', 'diff', 'manifests');
    mkdirSync(dirname(manifests), { recursive: true });
    writeFileSync(manifests, ''); // no folder can be made there (as with a full or read-only disk)
    const diff = async () => {
      const run = await cli(['snapshot', 'diff', 'before', '-c', container, '--format', 'json'], { env: { COI_DESKTOP_CONFIG_DIR: configDir } });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      return JSON.parse(run.stdout) as DiffResult;
    };
    expectTheChanges(await diff());

    rmSync(manifests);
    await diff(); // caches the snapshot's manifest
    const [cached] = readdirSync(manifests);
    const hash = (text: string) => createHash('sha256').update(text).digest('hex');
    // edit.txt's entry given the current content's hash (same size): read as is, edit.txt would look unchanged
    writeFileSync(join(manifests, cached!), readFileSync(join(manifests, cached!), 'utf8').replace(hash('hello world\n'), hash('HELLO world\n')));
    const again = await diff();
    expectTheChanges(again);
    expect(again.cached.from).toBe(false);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('a container frozen after the diff found it running (Incus freezes one while it snapshots it) is read from a temporary snapshot, not failed "Instance is frozen"', async () => {
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const held = proxy.holdAnswersAfter(`/1.0/instances/${container}`); // the diff reads the container: Running
    const run = cliProcess(['snapshot', 'diff', 'before', '-c', container, '--format', 'json'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await held;
    await incus('pause', container);
    try {
      proxy.release();
      const result = await run;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expectTheChanges(JSON.parse(result.stdout) as DiffResult);
    } finally {
      await incus('resume', container);
      await proxy.cut();
    }
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('a container stopped while its files are listed (a stop or restore meanwhile): exit 1 saying so and what to do, nothing left', async () => {
    const box = await fixtures.launch(testName('diffstop'));
    await incus('snapshot', 'create', box, 's');
    await incus('exec', box, '--', 'truncate', '-s', '1G', '/sparse'); // hashing it keeps the listing busy for seconds (no disk used)
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const held = proxy.holdAnswersAfter(`/1.0/instances/${box}/exec`); // the listing runs in the container
    const run = cliProcess(['snapshot', 'diff', 's', '-c', box, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await held;
    // stopped once the listing hashes (its package-database reads, sent with it, are answered by then); looked for
    // in /proc, not with `incus exec` every 50 ms: an `incus` client can leave a connection silent, which freezes Incus 6.0.4's local API
    while (!hashingInside(box)) await new Promise((resolve) => setTimeout(resolve, 50));
    await incus('stop', '-f', box);
    proxy.release();
    const result = await run;
    await proxy.cut();
    // killed with the container (exit code 137), or its operation already dropped by Incus when the answer came (under load)
    const ended = String.raw` \(exit code 137\): the listing was killed \(signal 9\)|: its operation \S+ ended before its result could be read,`;
    expect(result.stderr).toMatch(new RegExp(`^Error: listing the files inside ${box} failed(${ended}) and it is stopped now \\(stopped or restored meanwhile\\?\\); run the diff again`, 'm'));
    expect(result.code).toBe(1);
    expect((await incus('image', 'list', '--format', 'csv', '-c', 'l')).split('\n').filter((alias) => alias.includes(box))).toEqual([]);
  });

  it('a package database that cannot be read while the files are listed: the listing is waited for, the error says so with the state, the command ends', async () => {
    const logsBefore = await execLogs(container);
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const held = proxy.holdAnswersAfter(`/1.0/instances/${container}/exec`);
    // what Incus answers when the container stops under the read (a race on the real daemon)
    const failed = proxy.failRequest('dpkg%2Fstatus', 500, 'Failed to connect to forkfile.sock: dial unix forkfile.sock: connect: connection refused');
    const run = cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await Promise.all([held, failed]);
    proxy.release(); // the listing's answer comes after the failure (it once ran on after the command had reported it, and kept it alive a minute)
    const result = await run;
    await proxy.cut();
    expect(result.stderr).toMatch(new RegExp(`^Error: reading /var/lib/dpkg/status inside ${container} failed \\(.*forkfile\\.sock.*\\), and it is running now; run the diff again$`, 'm'));
    expect(result.code).toBe(1);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
    expect(await execLogs(container), 'the listing\'s output logs are removed').toEqual(logsBefore);
  });

  it('a snapshot Incus cannot pack while the files are listed (deleted meanwhile): the listing stopped has its output logs removed, nothing left', async () => {
    const logsBefore = await execLogs(container);
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const listing = proxy.holdAnswersAfter(`/1.0/instances/${container}/exec`, '/wait'); // the listing runs on in the container
    const failed = proxy.failRequest('POST /1.0/images', 404, 'Instance_snapshot not found');
    const result = await cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await Promise.all([listing, failed]);
    await proxy.cut();
    expect(result.stderr).toMatch(/^Error: Instance_snapshot not found$/m);
    expect(result.code).toBe(1);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
    // Incus cannot cancel the listing's exec: stopped by the diff, it went on and left its output (the whole listing) in the daemon's logs.
    expect(await execLogs(container)).toEqual(logsBefore);
  });

  it('a listing that fails while the snapshot is packed, and an image that then cannot be removed: both said, no "Interrupted", the next diff removes it', async () => {
    const { configDir } = tempHome();
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    // The listing's and the publish's answers come together: the publish is under way when the listing fails.
    const listing = proxy.holdAnswersAfter(`/1.0/instances/${container}/exec`, '/wait');
    const packing = proxy.holdAnswersAfter('"compression_algorithm":"none"');
    void proxy.failRequest(`/1.0/instances/${container}/logs/exec-output/`, 500, 'the listing\'s output could not be read');
    void proxy.failRequest('/1.0/images/aliases/coi-diff-', 500, 'refused by the test');
    const run = cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: configDir });
    await Promise.all([listing, packing]);
    proxy.release();
    const result = await run;
    await proxy.cut();
    expect(result.stderr).toMatch(/^Error: the listing's output could not be read; the temporary image coi-diff-\S+ could not be removed \(refused by the test\); the next diff, export or import on local removes it, or run 'incus image delete coi-diff-\S+' on local$/m);
    expect(result.stderr).not.toMatch(/Interrupted/);
    expect(result.code).toBe(1);
    const next = await cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { COI_DESKTOP_CONFIG_DIR: configDir });
    expect(next.stderr).toMatch(/coi-diff-\S+/); // the leftover, removed: said once
    expect(next.code).toBe(0);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('a snapshot deleted while the diff runs: says so and what to do, not Incus\'s words only; nothing left', async () => {
    await incus('snapshot', 'create', container, 'gone');
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const held = proxy.holdAnswersAfter(`/1.0/instances/${container}/exec`); // the snapshot is packed once the listing runs
    const run = cliProcess(['snapshot', 'diff', 'gone', '-c', container, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await held;
    await incus('snapshot', 'delete', container, 'gone');
    proxy.release();
    const result = await run;
    await proxy.cut();
    // was: Error: Incus could not pack snapshot gone (Failed to fetch snapshot "gone" of instance "…" in project "default": Instance_snapshot not found)
    expect(result.stderr).toMatch(new RegExp(`^Error: snapshot 'gone' not found for container '${container}' \\(it has \\d+ snapshots: [^)]*\\): it was deleted while the diff ran, and Incus could not pack it \\(.+\\)$`, 'm'));
    expect(result.code).toBe(1);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('a file of the container that cannot be read for --file: the error says which, with the container\'s state and what to do', async () => {
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    // what Incus answers when the container stops under the read (a race on the real daemon)
    const failed = proxy.failRequest('edit.txt', 500, 'Failed to connect to forkfile.sock: dial unix forkfile.sock: connect: connection refused');
    const result = await cliProcess(['snapshot', 'diff', 'before', '-c', container, '--file', '/data/edit.txt'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await failed;
    await proxy.cut();
    // was Incus's words only: "Error: Failed to connect to forkfile.sock: …"
    expect(result.stderr).toMatch(new RegExp(`^Error: reading /data/edit\\.txt inside ${container} failed \\(.*forkfile\\.sock.*\\), and it is running now; run the diff again$`, 'm'));
    expect(result.code).toBe(1);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('a listing Incus refuses ends the diff there: the snapshot is not packed and read for nothing', async () => {
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    void proxy.failRequest(`/1.0/instances/${container}/exec`, 400, 'Instance is not running');
    const result = await cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: tempHome().configDir });
    await proxy.cut();
    expect(result.stderr).toMatch(/^Error: Instance is not running$/m);
    expect(result.code).toBe(1);
    expect(proxy.requests.filter((line) => line.startsWith('POST /1.0/images'))).toEqual([]);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('Ctrl-C while Incus packs the snapshots exits 130 and removes the temporary images once packed', async () => {
    const { configDir } = tempHome(); // a cache of its own: the snapshots must be packed again
    const args = ['snapshot', 'diff', 'before', 'after', '-c', container];
    // the answer to the wait on a publish (which Incus cannot cancel) is held: the user presses Ctrl-C there
    const run = await interruptedAt(args, '"compression_algorithm":"none"', '/wait', { COI_DESKTOP_CONFIG_DIR: configDir });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/Interrupted: the diff was cancelled and its temporary image coi-diff-\S+ removed/);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('Ctrl-C while the snapshots\' cached manifests are read: no snapshot is packed after it, exit 130, nothing left', async () => {
    const { configDir } = tempHome();
    const args = ['snapshot', 'diff', 'before', 'after', '-c', container, '--summary'];
    expect((await cliProcess(args, { COI_DESKTOP_CONFIG_DIR: configDir })).code).toBe(0); // both manifests cached
    // each cached manifest becomes a pipe: the diff's read of it waits until the test closes its end
    const dir = join(configDir, 'cache', 'diff', 'manifests');
    const pipes = readdirSync(dir).map((name) => join(dir, name));
    expect(pipes).toHaveLength(2);
    for (const pipe of pipes) {
      rmSync(pipe);
      await runProcess('mkfifo', [pipe]);
    }
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const child = spawnCli(args, { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: configDir });
    const done = exited(child);
    const writers = await Promise.all(pipes.map((pipe) => open(pipe, 'w'))); // opened once the diff reads them
    const stopping = new Promise((resolve) => child.stderr.on('data', (data: Buffer) => data.toString().includes('Stopping') && resolve(undefined)));
    child.kill('SIGINT');
    await stopping;
    for (const writer of writers) await writer.close(); // read as empty: not cached
    const run = await done;
    await proxy.cut();
    // Packing began after Ctrl-C, which then waited for the whole snapshot to be packed (Incus cannot cancel it) to remove the image.
    expect(proxy.requests.filter((line) => line.startsWith('POST /1.0/images'))).toEqual([]);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/^Interrupted: the diff was cancelled before snapshot (before|after) was packed$/m);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('Ctrl-C before Incus answered the request to pack a snapshot still removes the image Incus makes', async () => {
    const { configDir } = tempHome();
    // the answer to the publish request itself never comes: the diff cannot learn its operation and,
    // once the request times out, waits for every publish still running before looking for its image
    const run = await interruptedAt(['snapshot', 'diff', 'before', 'after', '-c', container], '"compression_algorithm":"none"', undefined, {
      COI_DESKTOP_CONFIG_DIR: configDir,
      COI_DESKTOP_REQUEST_TIMEOUT_MS: '3000',
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/Interrupted: the diff was cancelled and its temporary image coi-diff-\S+ removed/);
    await publishesDone(); // an image made after the command ended would show now
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('snapshot diff over SSH when Incus stops answering or the connection drops', () => {
  /** A user whose host `box` is a real sshd of this test's, reaching the daemon through a proxy the test holds or cuts. */
  async function boxThroughProxy(label: string) {
    requireSshd();
    const made = await sshdWithKey(label);
    servers.push(made.sshd);
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const home = tempHome();
    const registry = await HostRegistry.open(home.configDir);
    await registry.add(sshHost('box', made.sshd, { identityFiles: [made.key.file], socketPath: proxy.path }));
    knowHost(home.sshDir, made.sshd);
    return { sshd: made.sshd, proxy, env: { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' } };
  }

  it('sshd killed while the image is exported: exit 1 saying what is left on which host; the next diff there removes it', async () => {
    const { sshd, proxy, env } = await boxThroughProxy('diffkill');
    const held = proxy.holdAnswersAfter('/export');
    const args = ['snapshot', 'diff', 'before', '-c', container, '--host', 'box', '--summary'];
    const run = cliProcess(args, env);
    await held;
    await sshd.stop(); // the server and its sessions: the export and every way to clean up are gone
    const result = await run;
    expect(result.code).toBe(1);
    const left = /the temporary image (coi-diff-\S+) could not be removed \(.*\); the next diff, export or import on box removes it, or run 'incus image delete \1' on box$/m.exec(result.stderr);
    expect(left, result.stderr).not.toBeNull();

    await sshd.start();
    const next = await cliProcess(args, env);
    expect(next.stderr).toContain(`Removed the temporary image '${left![1]}' that an interrupted diff left on box`);
    expect(next.code).toBe(0);
    await proxy.cut();
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('an export that gets no answer fails when the request time is up, saying so (not "connection lost"), and removes the temporary image', async () => {
    const { proxy, env } = await boxThroughProxy('diffstall');
    const held = proxy.holdAnswersAfter('/export');
    const run = cliProcess(['snapshot', 'diff', 'before', 'after', '-c', container, '--host', 'box', '--summary'], { ...env, COI_DESKTOP_REQUEST_TIMEOUT_MS: '2000' });
    await held;
    const result = await run;
    await proxy.cut();
    expect(result.stderr).toMatch(/^Error: Incus at ssh box accepted the connection but did not answer GET \/1\.0\/images\/[0-9a-f]{64}\/export within 2 s/);
    expect(result.stderr).not.toMatch(/was lost|could not be removed/);
    expect(result.code).toBe(1);
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('snapshot diff through the contract', () => {
  async function core(): Promise<{ core: CoiCore; face: Face; home: Awaited<ReturnType<typeof openCore>>['home'] }> {
    const made = await openCore();
    const face = preloadFace(made.core);
    opened.push({ core: made.core, face });
    return { ...made, face };
  }

  it('shows a diff in the operations drawer and cancels it there; nothing is left', async () => {
    const { face } = await core();
    const jobId = crypto.randomUUID();
    const seen: string[] = [];
    face.api.on((event: CoiEvent) => {
      if (event.type !== 'operation' || event.operation.id !== jobId) return;
      seen.push(event.operation.status);
      if (event.operation.progress?.startsWith('Packing') && event.operation.mayCancel) void face.api['operations.cancel']({ host: 'local', id: jobId });
    });
    const result = await face.api['snapshots.diff']({ host: 'local', container, from: 'before', jobId });
    expect(result).toMatchObject({ ok: false, error: { code: 'operation-failed' } });
    if (!result.ok) expect(result.error.message).toMatch(/cancelled: Interrupted: the diff was cancelled and its temporary image coi-diff-\S+ removed/);
    expect(seen[0]).toBe('Running');
    expect(seen.at(-1)).toBe('Cancelled');
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });

  it('diffs over the real sshd as over the local socket, file content included', async () => {
    requireSshd();
    const { face, home } = await core();
    const made = await sshdWithKey('diffssh');
    sshd = made.sshd;
    knowHost(home.sshDir, made.sshd);
    expect(await face.api['hosts.add']({ host: sshHost('box', made.sshd, { identityFiles: [made.key.file] }) })).toMatchObject({ ok: true, value: { status: { state: 'online' } } });

    const result = await face.api['snapshots.diff']({ host: 'box', container, from: 'before' });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.host).toBe('box');
    expectTheChanges(result.value);

    const file = await face.api['snapshots.diffFile']({ host: 'box', container, from: 'before', path: '/data/edit.txt' });
    expect(file).toMatchObject({ ok: true, value: { content: { type: 'text', same: false, unified: expect.stringContaining('-hello world\n+HELLO world\n') } } });
    expect(await leftovers()).toEqual(NOTHING_LEFT);
  });
});
