import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { exited, interruptedAt, spawnCli } from '../helpers/cli';
import { Fixtures, incus, readFile, requireDaemon, status, testName, writeFile } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';
import { openCore } from '../helpers/transports';

/**
 * A restore cut off at its hardest moment: Incus has the request (and cannot cancel a restore), the
 * command loses it. What the command says must be what Incus did.
 */
const fixtures = new Fixtures();

beforeAll(() => requireDaemon());
afterAll(() => fixtures.cleanup());

/** A running container whose /root/f reads 'bad', with a snapshot 'good' in which it reads 'good'. */
async function containerToRestore(label: string): Promise<string> {
  const name = await fixtures.launch(testName(label));
  await writeFile(name, '/root/f', 'good');
  await incus('snapshot', 'create', name, 'good');
  await writeFile(name, '/root/f', 'bad');
  return name;
}

/** Resolves once Incus has restored `name` (the restore takes away the key the command set just before it). */
async function restoredByIncus(name: string): Promise<void> {
  while ((await incus('config', 'get', name, 'user.coi-desktop.restoring')).trim() !== '') await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('a restore cut off after Incus got it', () => {
  it('Ctrl-C while Incus restores: says the restore was done (Incus cannot cancel it) and starts the container again', async () => {
    const name = await containerToRestore('rsint');
    // The answer to the wait on the restore's operation is held: the user presses Ctrl-C meanwhile.
    const run = await interruptedAt(['snapshot', 'restore', 'good', '-c', name, '--stop', '-f'], '"restore":', '/wait');
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(
      /Interrupted, but Incus had already restored container '.*' to snapshot 'good' \(a restore cannot be cancelled\); it was started again\. The state before the restore is in snapshot 'pre-restore-\d{8}-\d{6}'\n$/,
    );
    expect(run.stderr).not.toMatch(/restore failed/);
    expect(await status(name)).toBe('RUNNING');
    expect(await readFile(name, '/root/f')).toBe('good');
    expect((await incus('config', 'get', name, 'user.coi-desktop.restoring')).trim()).toBe('');
  });

  it('the connection drops after the request: looked up once the daemon is back, reported restored and finished', async () => {
    const name = await containerToRestore('rsdrop');
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const sent = proxy.holdAnswersAfter('"restore":');
    const child = spawnCli(['snapshot', 'restore', 'good', '-c', name, '--stop', '-f'], { INCUS_SOCKET: proxy.path });
    const done = exited(child);
    await sent;
    await restoredByIncus(name);
    // The daemon goes away with the answer, and is back a second later.
    await proxy.cut();
    const back = new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => proxy.resume());
    const run = await done;
    await back;
    await proxy.cut();
    expect(run.stderr).toMatch(/Restored container '.*' from snapshot 'good'; it was stopped for the restore and is running again\n/);
    expect(run.code).toBe(0);
    expect(await status(name)).toBe('RUNNING');
    expect(await readFile(name, '/root/f')).toBe('good');
  });
});

describe('a branch cut off after Incus got it', () => {
  it('the connection drops after the copy request: looked up once the daemon is back, reported created, never made twice', async () => {
    const source = await containerToRestore('brdrop');
    const copy = testName('brdrop-copy');
    fixtures.adopt(copy);
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const sent = proxy.holdAnswersAfter('"type":"copy"');
    const child = spawnCli(['snapshot', 'branch', 'good', copy, '-c', source], { INCUS_SOCKET: proxy.path });
    const done = exited(child);
    await sent;
    while ((await incus('list', `^${copy}$`, '--format', 'csv', '-c', 'n')).trim() === '') await new Promise((resolve) => setTimeout(resolve, 50));
    // Incus is making the copy; the daemon goes away with the answer, and is back a second later.
    await proxy.cut();
    const back = new Promise((resolve) => setTimeout(resolve, 1_000)).then(() => proxy.resume());
    const run = await done;
    await back;
    await proxy.cut();
    expect(run.stderr).toMatch(new RegExp(`Created container '${copy}' from snapshot 'good'`));
    expect(run.code).toBe(0);
    expect(await readFile(copy, '/root/f')).toBe('good');
    const copies = (await incus('list', '--format', 'csv', '-c', 'n')).split('\n').filter((name) => name.startsWith(copy));
    expect(copies).toEqual([copy]);
  });
});

describe('retention apply cut off', () => {
  it('Ctrl-C during an expiry write: says how many writes Incus made (the one under way looked up), sends no more', async () => {
    // In a project of its own: a running app (another test file's core) re-applies a container's policy
    // after each new snapshot it hears of, and would write these expiries itself.
    const own = await Fixtures.inProject('retint');
    const { core, home } = await openCore(own.project);
    await core.close();
    try {
      const name = await own.launch(testName('retint'), { stopped: true });
      for (let i = 1; i <= 4; i += 1) await own.incus('snapshot', 'create', name, `snap-20261127-09000${i}`);
      await own.incus('config', 'set', name, 'user.coi-desktop.retention', JSON.stringify({ keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false }));
      // Newest first: …03 is written; the answer to the wait on …02's write is held while the user presses Ctrl-C.
      const run = await interruptedAt(['retention', 'apply', '-c', name, '-f'], `PATCH /1.0/instances/${name}/snapshots/snap-20261127-090002`, '/wait', { COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' });
      expect(run.code).toBe(130);
      // …02's write is read back; on a machine too loaded to answer within the look-up's 15 s it is said unknown, never guessed.
      expect(run.stderr).toMatch(new RegExp(`Interrupted: (2 of 3 expiry writes on '${name}' were made|1 of 3 expiry writes on '${name}' were made \\(whether the one of 'snap-20261127-090002' was could not be found out: .*\\)), 1 not; .*coi-desktop retention apply -c ${name}\\n$`));
      expect(run.stderr).not.toMatch(/failed/);
      const listed = (await own.incus('snapshot', 'list', name, '--format', 'csv', '-c', 'nE')).trim().split('\n');
      const expiries = new Map(listed.map((line) => line.replace(/"/g, '').split(',').map((field) => field.trim()) as [string, string]));
      // …01 was never sent: no expiry. (…02 and …03 have one, or Incus has already deleted them.)
      expect(expiries.get('snap-20261127-090001')).toBe('');
      for (const going of ['snap-20261127-090002', 'snap-20261127-090003']) expect(expiries.get(going) ?? 'deleted').not.toBe('');
    } finally {
      await own.cleanup();
    }
  });
});
