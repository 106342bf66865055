import { mkdtempSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestoreJournal } from '../../src/main/app/restore-journal';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { SnapshotService } from '../../src/main/snapshots/service';
import { cliProcess, exited, spawnCli } from '../helpers/cli';
import { Fixtures, incus, localClient, requireDaemon, status, testName } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';

/**
 * A restore whose command is killed after Incus got the request: Incus gives the instance the
 * snapshot's configuration, and the step that puts the schedule and retention policy back never runs.
 * The journal (src/main/app/restore-journal.ts) lets the next command on that host finish it.
 */
const fixtures = new Fixtures();
const RETENTION = 'user.coi-desktop.retention';
const RESTORING = 'user.coi-desktop.restoring';

beforeAll(() => requireDaemon());
afterAll(() => fixtures.cleanup());

const configGet = async (name: string, key: string) => (await incus('config', 'get', name, key)).trim();

/** Resolves once Incus has restored `name` (the restore takes away the mark the command set just before it). */
async function restoredByIncus(name: string): Promise<void> {
  while ((await configGet(name, RESTORING)) !== '') await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Resolves once Incus has stopped `name`. */
async function stoppedByIncus(name: string): Promise<void> {
  while ((await status(name)) !== 'STOPPED') await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * `snapshot restore s1 -c NAME -f --stop` through a socket proxy whose answers are held once a request
 * containing `held` has gone to Incus; `reached` resolves then, `ended` with the command's end.
 */
async function restoreHeldAt(name: string, held: string) {
  const proxy = new SocketProxy(findLocalSocket());
  await proxy.resume();
  const reached = proxy.holdAnswersAfter(held);
  const child = spawnCli(['snapshot', 'restore', 's1', '-c', name, '-f', '--stop'], { INCUS_SOCKET: proxy.path });
  return { proxy, child, reached, ended: exited(child) };
}

/** Lets a held restore go on; it ends restored: no error, exit 0, the container running with s1's marker. */
async function endsRestored(held: Awaited<ReturnType<typeof restoreHeldAt>>, name: string): Promise<void> {
  held.proxy.release();
  const run = await held.ended;
  await held.proxy.cut();
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.code).toBe(0);
  expect(await status(name)).toBe('RUNNING');
  expect((await incus('exec', name, '--', 'cat', '/root/marker')).trim()).toBe('v1');
}

/** A container with /root/marker "v1" in its snapshot s1 and "v2" now. */
async function markedContainer(label: string): Promise<string> {
  const name = await fixtures.launch(testName(label));
  await incus('exec', name, '--', 'sh', '-c', 'echo v1 > /root/marker');
  await incus('snapshot', 'create', name, 's1');
  await incus('exec', name, '--', 'sh', '-c', 'echo v2 > /root/marker');
  return name;
}

describe('a restore killed after its request', () => {
  it('kill -9 once Incus has the request: the next command says the restore was done and puts the schedule and retention policy back', async () => {
    const name = await fixtures.launch(testName('rsjkill'));
    await incus('snapshot', 'create', name, 's1');
    expect((await cliProcess(['snapshot', 'schedule', 'set', '--every', '@daily', '-c', name])).code).toBe(0);
    expect((await cliProcess(['retention', 'set', '--keep-last', '50', '-c', name])).code).toBe(0);
    const [schedule, retention] = [await configGet(name, 'snapshots.schedule'), await configGet(name, RETENTION)];
    expect(schedule).not.toBe('');
    expect(retention).not.toBe('');

    const { proxy, child, reached, ended } = await restoreHeldAt(name, '"restore":');
    await reached;
    child.kill('SIGKILL');
    await ended;
    await restoredByIncus(name);
    await proxy.cut();
    // Incus gave the instance s1's configuration: the settings set since are gone until something puts them back.
    expect(await configGet(name, 'snapshots.schedule')).toBe('');

    const show = await cliProcess(['snapshot', 'schedule', 'show', '-c', name]);
    expect(show.code).toBe(0);
    expect(show.stderr).toContain(
      `An interrupted restore of container '${name}' to snapshot 's1' was done by Incus; its schedule and retention policy were put back; the container is stopped: coi-desktop container start ${name}`,
    );
    expect(await configGet(name, 'snapshots.schedule')).toBe(schedule);
    expect(await configGet(name, RETENTION)).toBe(retention);
    expect(await status(name)).toBe('STOPPED'); // never started by itself
    // Said once: the entry is gone.
    const again = await cliProcess(['snapshot', 'schedule', 'show', '-c', name]);
    expect(again.stderr).not.toMatch(/interrupted restore/);
  }, 30_000);

  it('an entry whose mark is still on the instance is dropped without changing its settings', async () => {
    const name = await fixtures.launch(testName('rsjmark'), { stopped: true });
    await incus('config', 'set', name, RESTORING, 'mark-1');
    const dir = mkdtempSync(join(tmpdir(), 'coi-restores-'));
    const place = { host: 'local', project: 'default', server: 'local' };
    // Written by a process that no longer runs (no pid is this large).
    const writer = new RestoreJournal(dir, place, { pid: 2_000_000_000, machine: hostname() });
    await writer.record({
      container: name,
      snapshot: 's1',
      mark: 'mark-1',
      settings: { [RESTORING]: '', 'snapshots.schedule': '@hourly' },
      snapshotSettings: { [RESTORING]: '', 'snapshots.schedule': '' },
      stopped: false,
      safetySnapshot: null,
      requested: true,
    });
    const service = new SnapshotService(localClient(), { coiPrefix: 'coi-', restores: new RestoreJournal(dir, place) });
    const messages = await service.finishInterruptedRestores();
    expect(messages).toEqual([`An interrupted restore of container '${name}' to snapshot 's1' was not done by Incus: the container and its settings are as they were`]);
    expect(await configGet(name, RESTORING)).toBe('');
    expect(await configGet(name, 'snapshots.schedule')).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('kill -9 while the restore stops the container: the next command says nothing was restored and starts it again', async () => {
    const name = await markedContainer('rsjstop');
    const { proxy, child, reached, ended } = await restoreHeldAt(name, '"action":"stop"');
    await reached;
    child.kill('SIGKILL');
    await ended;
    await proxy.cut();
    await stoppedByIncus(name); // the stop the command asked for goes on in Incus

    const list = await cliProcess(['snapshot', 'list', '-c', name]);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(
      new RegExp(`An interrupted restore of container '${name}' to snapshot 's1' was not done: its command ended before it asked Incus, so nothing was restored; the container ran before and was stopped for it: it was started again. The safety snapshot 'pre-restore-[0-9-]+' it took is kept`),
    );
    expect(await status(name)).toBe('RUNNING');
    expect((await incus('exec', name, '--', 'cat', '/root/marker')).trim()).toBe('v2');
    expect(await configGet(name, RESTORING)).toBe('');
    const again = await cliProcess(['snapshot', 'list', '-c', name]);
    expect(again.stderr).not.toMatch(/interrupted restore/);
  }, 60_000);
});

describe('two processes finishing one interrupted restore', () => {
  it('it is finished once (said once, the container started once), and left alone while a restore of that container holds its lock', async () => {
    const name = await fixtures.launch(testName('rsjboth'), { stopped: true });
    const dir = mkdtempSync(join(tmpdir(), 'coi-restores-'));
    const place = { host: 'local', project: 'default', server: 'local' };
    // A restore killed while it stopped the running container (its writer no longer runs).
    await new RestoreJournal(dir, place, { pid: 2_000_000_000, machine: hostname() }).record({
      container: name,
      snapshot: 's1',
      mark: 'mark-2',
      settings: { [RESTORING]: '' },
      snapshotSettings: { [RESTORING]: '' },
      stopped: true,
      safetySnapshot: null,
      requested: false,
    });
    const finisher = () => new SnapshotService(localClient(), { coiPrefix: 'coi-', restores: new RestoreJournal(dir, place) });

    const restoring = await new RestoreJournal(dir, place).lock(name);
    expect(await finisher().finishInterruptedRestores()).toEqual([]);
    expect(readdirSync(dir).filter((file) => file.endsWith('.json'))).toHaveLength(1);
    await restoring();

    const [first, second] = await Promise.all([finisher().finishInterruptedRestores(), finisher().finishInterruptedRestores()]);
    expect([...first, ...second]).toEqual([
      `An interrupted restore of container '${name}' to snapshot 's1' was not done: its command ended before it asked Incus, so nothing was restored; the container ran before and was stopped for it: it was started again`,
    ]);
    expect(await status(name)).toBe('RUNNING');
    expect(readdirSync(dir).filter((file) => file.endsWith('.json'))).toEqual([]);
  }, 30_000);
});

/** Resolves once Incus no longer lists an operation on `name` (it forgets a finished one after a few seconds). */
async function operationsForgotten(name: string): Promise<void> {
  const on = async () => ((JSON.parse(await incus('operation', 'list', '--format', 'json')) ?? []) as { resources?: Record<string, string[]> | null }[])
    .filter((operation) => Object.values(operation.resources ?? {}).flat().some((url) => url.endsWith(`/instances/${name}`)));
  while ((await on()).length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
}

describe("a restore whose stop's answer comes after Incus forgot the stop", () => {
  it('looks the stop up and goes on (before: "could not be stopped … nothing was restored", the container left stopped)', async () => {
    const name = await markedContainer('rsjlate');
    const held = await restoreHeldAt(name, '"action":"stop"');
    await held.reached;
    await stoppedByIncus(name);
    await operationsForgotten(name);
    await endsRestored(held, name);
  }, 60_000);
});

describe('two restores of one container at once', () => {
  it('the second is refused before it changes anything, and the first ends as it says', async () => {
    const name = await markedContainer('rsjtwo');
    const held = await restoreHeldAt(name, '"action":"stop"');
    await held.reached; // the first is stopping the container

    const second = await cliProcess(['snapshot', 'restore', 's1', '-c', name, '-f', '--stop']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another restore of container '${name}' is under way (a coi-desktop command or the COI Desktop app on this computer); this one changed nothing`);
    expect(second.stderr).not.toMatch(/Invalid PID/);
    expect((await incus('snapshot', 'list', name, '-f', 'csv', '-c', 'n')).trim().split('\n').filter((line) => line.startsWith('pre-restore-'))).toHaveLength(1);

    await endsRestored(held, name);
  }, 60_000);
});
