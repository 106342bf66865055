import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerRow } from '../../src/shared/rows';
import { AppError } from '../../src/main/errors';
import type { IncusClient } from '../../src/main/incus/client';
import { SnapshotService, type RestorePlan } from '../../src/main/snapshots/service';
import { Fixtures, incus, localClient, readFile, requireDaemon, snapshotNames, status, testName, writeFile } from '../helpers/incus';

const fixtures = new Fixtures();
let client: IncusClient;
let service: SnapshotService;

beforeAll(() => {
  requireDaemon();
  client = localClient();
  service = new SnapshotService(client, { coiPrefix: 'coi-' });
});
afterAll(async () => {
  await fixtures.cleanup();
  await client.close();
});

/** The error `promise` rejects with; fails the test if it resolves. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.resolved)}`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error;
}

async function expectAppError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await failure(promise);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  expect((error as AppError).message).toMatch(message);
}

describe('create', () => {
  it('auto-names snap-YYYYMMDD-HHMMSS in local time, and a second one in the same second gets a free name', async () => {
    const name = await fixtures.launch(testName('auto'), { stopped: true });
    const at = new Date(2026, 0, 2, 3, 4, 5);
    const fixed = new SnapshotService(client, { coiPrefix: 'coi-', now: () => at });
    const first = await fixed.create(name);
    const second = await fixed.create(name);
    expect(first.name).toBe('snap-20260102-030405');
    expect(second.name).toBe('snap-20260102-030405-2');
    expect(await snapshotNames(name)).toEqual(['snap-20260102-030405', 'snap-20260102-030405-2']);
  });

  it('auto-names snapshots taken at the same moment apart: none fails because another took its name', async () => {
    const name = await fixtures.launch(testName('autorace'), { stopped: true });
    // Four creates in one second (the tray, a command and Incus's schedule at once): one base name for all.
    const sameSecond = new SnapshotService(client, { coiPrefix: 'coi-', now: () => new Date(2026, 10, 25, 10, 15, 0) });
    const made = await Promise.all([1, 2, 3, 4].map(() => sameSecond.create(name)));
    const names = ['snap-20261125-101500', 'snap-20261125-101500-2', 'snap-20261125-101500-3', 'snap-20261125-101500-4'];
    expect(made.map((snapshot) => snapshot.name).sort()).toEqual(names);
    expect(await snapshotNames(name)).toEqual(names);
  });

  it('uses the real clock for auto names', async () => {
    const name = await fixtures.launch(testName('clock'), { stopped: true });
    const made = await service.create(name);
    expect(made.name).toMatch(/^snap-\d{8}-\d{6}$/);
    expect(Math.abs(Date.parse(made.createdAt) - Date.now())).toBeLessThan(60_000);
  });

  it('creates a named snapshot and refuses an existing name without touching the first', async () => {
    const name = await fixtures.launch(testName('named'));
    await writeFile(name, '/root/state', 'one');
    const made = await service.create(name, { name: 'checkpoint-1' });
    expect(made).toMatchObject({ name: 'checkpoint-1', stateful: false, expiresAt: null });
    await expectAppError(service.create(name, { name: 'checkpoint-1' }), 'already-exists', /snapshot 'checkpoint-1' already exists for container '.*'/);
    expect(await snapshotNames(name)).toEqual(['checkpoint-1']);
  });

  it('rejects unsafe names before any request, so other containers keep their snapshots', async () => {
    const victim = await fixtures.launch(testName('victim'), { stopped: true });
    await incus('snapshot', 'create', victim, 'keep-me');
    const name = await fixtures.launch(testName('unsafe'), { stopped: true });
    for (const [bad, rule] of [['..', /names a directory/], ['.', /names a directory/], ['.hidden', /start with '\.'/], ['a/b', /contain '\/'/], ['a b', /whitespace/], ['', /empty/], ['-x', /start with a letter or digit/]] as const) {
      await expectAppError(service.create(name, { name: bad }), 'invalid-input', rule);
    }
    expect(await snapshotNames(name)).toEqual([]);
    expect(await snapshotNames(victim)).toEqual(['keep-me']);
  });

  it('sets an expiry when asked', async () => {
    const name = await fixtures.launch(testName('expiry'), { stopped: true });
    const made = await service.create(name, { name: 'short-lived', expiresAt: '2099-01-01T00:00:00Z' });
    expect(made.expiresAt).toMatch(/^2099-01-01T00:00:00/);
  });

  it('refuses an expiry in the past or within the next minute, creating nothing', async () => {
    const name = await fixtures.launch(testName('pastexp'), { stopped: true });
    const past = new Date(2020, 0, 1, 0, 0).toISOString();
    await expectAppError(
      service.create(name, { name: 'doomed', expiresAt: past }),
      'invalid-input',
      /^the expiry 2020-01-01 00:00 is in the past: Incus would delete the snapshot within a minute; pick a later time or no expiry$/,
    );
    const soon = new Date(Date.now() + 20_000).toISOString();
    await expectAppError(service.create(name, { name: 'doomed', expiresAt: soon }), 'invalid-input', /is less than a minute away: Incus would delete the snapshot within a minute/);
    expect(await snapshotNames(name)).toEqual([]);
  });

  it("passes the daemon's reason for a failed stateful snapshot on verbatim", async () => {
    const plain = await fixtures.launch(testName('nostate'));
    const error = await failure(service.create(plain, { stateful: true }));
    expect(error.message).toBe('Stateful snapshots require that the instance has migration.stateful be set to true');

    const capable = await fixtures.launch(testName('criu'), { config: { 'migration.stateful': 'true' } });
    expect((await service.getContainer(capable)).statefulCapable).toBe(true);
    const criu = await failure(service.create(capable, { name: 'live', stateful: true }));
    expect(criu.message).toMatch(/^Unable to create a stateful snapshot/);
    expect(await snapshotNames(capable)).toEqual([]);
  });
});

describe('list', () => {
  it("lists a container's snapshots newest first with the fields the UI shows", async () => {
    const name = await fixtures.launch(testName('list'), { stopped: true });
    for (const snap of ['b-first', 'a-second', 'c-third']) await incus('snapshot', 'create', name, snap);
    const listed = await service.listSnapshots(name);
    expect(listed.map((s) => s.name)).toEqual(['c-third', 'a-second', 'b-first']);
    expect(listed[0]).toEqual({ name: 'c-third', createdAt: expect.any(String), expiresAt: null, stateful: false, sizeBytes: null, description: '' });
  });

  it('lists every container with state and snapshots in one answer, COI containers first', async () => {
    const coiService = new SnapshotService(client, { coiPrefix: 'test-coilist' });
    const coi = await fixtures.launch(testName('coilist'), { stopped: true });
    await incus('snapshot', 'create', coi, 'one');
    const containers = await coiService.listContainers();
    expect(containers[0]?.coi).toBe(true);
    const mine = containers.find((c) => c.name === coi);
    expect(mine).toMatchObject({ status: 'Stopped', type: 'container', coi: true, snapshots: [expect.objectContaining({ name: 'one' })] });
    expect((await coiService.listCoiContainers()).every((c) => c.name.startsWith('test-coilist'))).toBe(true);
  });

  it('says which container is missing', async () => {
    await expectAppError(service.listSnapshots('test-does-not-exist'), 'not-found', /container 'test-does-not-exist' not found/);
  });

  it('a listing made again shows every change since the last one, as a first listing does', async () => {
    const refreshing = new SnapshotService(client, { coiPrefix: 'coi-' });
    const name = await fixtures.launch(testName('relist'), { stopped: true });
    for (const snap of ['kept', 'described', 'expiring', 'renamed', 'deleted']) await incus('snapshot', 'create', name, snap);
    const mine = async (from: SnapshotService) => (await from.listContainers()).find((container) => container.name === name)!;
    const first = await mine(refreshing);

    await refreshing.setDescription(name, 'described', 'now described');
    await refreshing.setExpiry(name, 'expiring', new Date(Date.now() + 3_600_000).toISOString());
    await refreshing.rename(name, 'renamed', 'renamed-2');
    await refreshing.delete(name, 'deleted');
    await incus('snapshot', 'create', name, 'added');
    const second = await mine(refreshing);
    expect(second).toEqual(await mine(new SnapshotService(client, { coiPrefix: 'coi-' })));
    expect(second.snapshots.map((snapshot) => snapshot.name).sort()).toEqual(['added', 'described', 'expiring', 'kept', 'renamed-2']);
    expect(second.snapshots.find((snapshot) => snapshot.name === 'described')?.description).toBe('now described');
    expect(second.snapshots.find((snapshot) => snapshot.name === 'expiring')?.expiresAt).not.toBeNull();
    // The first listing is left as it was.
    expect(first.snapshots.find((snapshot) => snapshot.name === 'described')?.description).toBe('');

    await refreshing.setDescription(name, 'described', '');
    const third = await mine(refreshing);
    expect(third).toEqual(await mine(new SnapshotService(client, { coiPrefix: 'coi-' })));
    expect(third.snapshots.find((snapshot) => snapshot.name === 'described')?.description).toBe('');
    expect(second.snapshots.find((snapshot) => snapshot.name === 'described')?.description).toBe('now described');
  });

  // The overview's rows are read without making any snapshot (G6, issue 10): the same rows as the full listing's.
  it("lists rows and heads as the full listing's rows, each container's snapshots counted and the newest named", async () => {
    const name = await fixtures.launch(testName('rows'), { stopped: true });
    const bare = await fixtures.launch(testName('rows-bare'), { stopped: true });
    for (const snap of ['b-first', 'a-second', 'c-third']) await incus('snapshot', 'create', name, snap);
    await service.setDescription(name, 'a-second', 'described');
    const mine = <C extends { name: string }>(containers: C[]) => containers.filter((container) => container.name === name || container.name === bare);
    const [full, rows, heads] = await Promise.all([service.listContainers(), service.listContainerRows(), service.listContainerHeads()]);
    expect(mine(rows)).toEqual(mine(full).map(containerRow));
    expect(rows.find((row) => row.name === name)?.snapshots).toEqual({ count: 3, newest: { name: 'c-third', createdAt: expect.any(String) } });
    expect(rows.find((row) => row.name === bare)?.snapshots).toEqual({ count: 0, newest: null });
    expect(mine(heads)).toEqual(mine(rows).map((row) => ({ ...row, snapshots: null })));
  });
});

describe('restore', () => {
  it('refuses a running container and says how to stop it, changing nothing', async () => {
    const name = await fixtures.launch(testName('running'));
    await incus('snapshot', 'create', name, 'before');
    await expectAppError(service.restore(name, 'before'), 'container-running', /must be stopped before restore.*container stop/);
    expect(await snapshotNames(name)).toEqual(['before']);
    expect(await status(name)).toBe('RUNNING');
  });

  it('refuses a frozen container before stopping or taking anything, even with stopFirst', async () => {
    const name = await fixtures.launch(testName('frozen'));
    await incus('snapshot', 'create', name, 'before');
    await incus('pause', name);
    try {
      await expectAppError(service.restore(name, 'before', { stopFirst: true }), 'container-frozen', /is frozen \(paused\); resume it first/);
      expect(await snapshotNames(name)).toEqual(['before']); // no safety snapshot either
      expect(await status(name)).toBe('FROZEN');
    } finally {
      await incus('start', name); // resumes it, so the fixture can be removed
    }
  });

  it('brings a file back, and the pre-restore safety snapshot undoes the restore', async () => {
    const name = await fixtures.launch(testName('restore'));
    await writeFile(name, '/root/work', 'good');
    await service.create(name, { name: 'good' });
    await writeFile(name, '/root/work', 'broken');
    await service.stop(name, { force: true });

    const result = (await service.restore(name, 'good'))!;
    expect(await readFile(name, '/root/work')).toBe('good');
    expect(result.safetySnapshot).toMatch(/^pre-restore-\d{8}-\d{6}$/);
    expect(await snapshotNames(name)).toContain(result.safetySnapshot);

    await service.restore(name, result.safetySnapshot!, { safetySnapshot: false });
    expect(await readFile(name, '/root/work')).toBe('broken');
  });

  it('takes no safety snapshot when switched off', async () => {
    const name = await fixtures.launch(testName('nosafety'), { stopped: true });
    await incus('snapshot', 'create', name, 'only');
    const result = (await service.restore(name, 'only', { safetySnapshot: false }))!;
    expect(result.safetySnapshot).toBeNull();
    expect(await snapshotNames(name)).toEqual(['only']);
  });

  it('changes nothing when the confirmation is declined, and asks only after the checks pass', async () => {
    const name = await fixtures.launch(testName('declined'));
    await writeFile(name, '/root/work', 'v1');
    await incus('snapshot', 'create', name, 'v1');
    let asked = 0;
    const confirm = () => {
      asked += 1;
      return Promise.resolve(false);
    };
    await expectAppError(service.restore(name, 'v1', { confirm }), 'container-running', /must be stopped/);
    expect(asked).toBe(0);
    await incus('stop', '-f', name);
    expect(await service.restore(name, 'v1', { confirm })).toBeNull();
    expect(asked).toBe(1);
    expect(await snapshotNames(name)).toEqual(['v1']);
  });

  it('refuses a stateful restore of a stateless snapshot before Incus can stop anything', async () => {
    const name = await fixtures.launch(testName('statefulrestore'), { stopped: true });
    await incus('snapshot', 'create', name, 'disk-only');
    await expectAppError(service.restore(name, 'disk-only', { stateful: true }), 'not-stateful', /holds no process memory; restore it without --stateful/);
    expect(await snapshotNames(name)).toEqual(['disk-only']);
  });

  it('stops a running container first, restores it and starts it again; with startAfter off it stays stopped', async () => {
    const name = await fixtures.launch(testName('stopfirst'));
    await writeFile(name, '/root/work', 'good');
    await incus('snapshot', 'create', name, 'good');
    await writeFile(name, '/root/work', 'broken');
    const plans: RestorePlan[] = [];
    const confirm = (plan: RestorePlan) => (plans.push(plan), Promise.resolve(true));

    const result = await service.restore(name, 'good', { stopFirst: true, confirm });
    expect(result).toMatchObject({ container: name, snapshot: 'good', stopped: true, startedAgain: true, safetySnapshot: expect.stringMatching(/^pre-restore-/) });
    expect(await status(name)).toBe('RUNNING');
    expect(await readFile(name, '/root/work')).toBe('good');

    const left = await service.restore(name, 'good', { stopFirst: true, startAfter: false, safetySnapshot: false, confirm });
    expect(left).toMatchObject({ stopped: true, startedAgain: false, safetySnapshot: null });
    expect(await status(name)).toBe('STOPPED');
    expect(plans).toMatchObject([{ stops: true, startsAgain: true }, { stops: true, startsAgain: false }]);
  });

  it('checks the snapshot before stopping anything: a missing one leaves the container running and untouched', async () => {
    const name = await fixtures.launch(testName('checkfirst'));
    await incus('snapshot', 'create', name, 'kept');
    await expectAppError(service.restore(name, 'deleted', { stopFirst: true }), 'not-found', /snapshot 'deleted' not found/);
    expect(await status(name)).toBe('RUNNING');
    expect(await snapshotNames(name)).toEqual(['kept']);
  });

  it('starts the container again when the restore fails after the stop, and says both', async () => {
    const name = await fixtures.launch(testName('failafter'));
    await incus('snapshot', 'create', name, 'vanishing');
    // While the user reads the confirmation, another terminal deletes the snapshot.
    const confirm = () => incus('snapshot', 'delete', name, 'vanishing').then(() => true);
    const error = await failure(service.restore(name, 'vanishing', { stopFirst: true, confirm }));
    expect(error).toBeInstanceOf(AppError);
    expect(error.message).toMatch(/^restore failed: Snapshot test-failafter-\w+\/vanishing does not exist; the container was started again$/);
    expect((error as AppError).details).toMatchObject({ stopped: true, startedAgain: true, safetySnapshot: expect.stringMatching(/^pre-restore-/) });
    expect(await status(name)).toBe('RUNNING');
  });

  it('says so when starting the container again fails too', async () => {
    const name = await fixtures.launch(testName('failtwice'));
    await incus('snapshot', 'create', name, 'vanishing');
    const source = mkdtempSync(join(tmpdir(), 'coi-gone-'));
    // The snapshot vanishes, and a disk whose source then disappears keeps the container from starting.
    const confirm = async () => {
      await incus('snapshot', 'delete', name, 'vanishing');
      await incus('config', 'device', 'add', name, 'gone', 'disk', `source=${source}`, 'path=/mnt/gone');
      rmSync(source, { recursive: true });
      return true;
    };
    const error = await failure(service.restore(name, 'vanishing', { stopFirst: true, safetySnapshot: false, confirm }));
    expect(error.message).toMatch(/^restore failed: Snapshot test-failtwice-\w+\/vanishing does not exist; starting the container again failed too \(.*Missing source path.*\); start it with 'coi-desktop container start test-failtwice-\w+'$/);
    expect((error as AppError).details).toMatchObject({ stopped: true, startedAgain: false });
    expect(await status(name)).toBe('STOPPED');
  });

  it('names a few of the snapshots a container has, and their count, when the one asked for is missing', async () => {
    const name = await fixtures.launch(testName('many'), { stopped: true });
    for (let index = 1; index <= 7; index += 1) await incus('snapshot', 'create', name, `s${index}`);
    await expectAppError(service.restore(name, 'nope'), 'not-found', /^snapshot 'nope' not found for container '.*' \(it has 7 snapshots: s7, s6, s5, s4, s3, …\)$/);
  });

  it('names the snapshots a container has when the one asked for is missing', async () => {
    const name = await fixtures.launch(testName('missing'), { stopped: true });
    await incus('snapshot', 'create', name, 'exists');
    await expectAppError(service.restore(name, 'nope'), 'not-found', /snapshot 'nope' not found for container '.*' \(it has 1 snapshot: exists\)/);
  });
});

describe('delete', () => {
  it('deletes one snapshot and leaves the rest', async () => {
    const name = await fixtures.launch(testName('delone'), { stopped: true });
    await incus('snapshot', 'create', name, 'a');
    await incus('snapshot', 'create', name, 'b');
    await service.delete(name, 'a');
    expect(await snapshotNames(name)).toEqual(['b']);
    await expectAppError(service.delete(name, 'a'), 'not-found', /snapshot 'a' not found/);
  });

  it('deletes many, reporting a failure without stopping the others', async () => {
    const name = await fixtures.launch(testName('delmany'), { stopped: true });
    for (const snap of ['s1', 's2', 's3']) await incus('snapshot', 'create', name, snap);
    // s2 vanishes between the listing the user confirmed and the deletion (another terminal deleted it).
    await incus('snapshot', 'delete', name, 's2');
    const seen: string[] = [];
    const outcomes = await service.deleteMany(name, ['s1', 's2', 's3'], (o) => seen.push(o.name));
    expect(outcomes).toEqual([
      { name: 's1', ok: true },
      { name: 's2', ok: false, error: expect.stringMatching(/snapshot 's2' not found/) },
      { name: 's3', ok: true },
    ]);
    expect(seen).toEqual(['s1', 's2', 's3']);
    expect(await snapshotNames(name)).toEqual([]);
  });
});

describe('info and branch', () => {
  it("shows a snapshot's full detail", async () => {
    const name = await fixtures.launch(testName('info'), { stopped: true });
    await incus('snapshot', 'create', name, 'detail');
    const detail = await service.info(name, 'detail');
    expect(detail).toMatchObject({ name: 'detail', container: name, stateful: false, ephemeral: false, profiles: ['default'] });
    expect(detail.config['image.os']).toBe('busybox');
  });

  it('branches a snapshot into a new container holding the snapshot state, numbering a taken default name', async () => {
    const name = await fixtures.launch(testName('branch'));
    await writeFile(name, '/root/idea', 'plan-a');
    await service.create(name, { name: 'idea' });
    await writeFile(name, '/root/idea', 'plan-b');

    const first = (await service.branch(name, 'idea')).name;
    fixtures.adopt(first);
    const second = (await service.branch(name, 'idea')).name;
    fixtures.adopt(second);
    expect(first).toBe(`${name}-idea-copy`);
    expect(second).toBe(`${name}-idea-copy-2`);
    expect(await readFile(first, '/root/idea')).toBe('plan-a');
    expect(await readFile(name, '/root/idea')).toBe('plan-b');

    const made = await service.branch(name, 'idea', `${name}-x`);
    const named = made.name;
    fixtures.adopt(named);
    // The new container as the UI shows it, read after the copy: no list refresh needed.
    expect(made).toMatchObject({ name: named, status: 'Stopped', type: 'container', snapshots: [] });
    await expectAppError(service.branch(name, 'idea', named), 'already-exists', /already exists/);
    await expectAppError(service.branch(name, 'idea', 'bad_name'), 'invalid-input', /must start with a letter/);
  });
});

describe('rename and expiry', () => {
  it('renames a snapshot, refusing a taken or unsafe name', async () => {
    const name = await fixtures.launch(testName('rename'), { stopped: true });
    for (const snap of ['old', 'taken']) await incus('snapshot', 'create', name, snap);
    expect((await service.rename(name, 'old', 'new')).name).toBe('new');
    expect(await snapshotNames(name)).toEqual(['new', 'taken']);
    await expectAppError(service.rename(name, 'new', 'taken'), 'already-exists', /snapshot 'taken' already exists/);
    await expectAppError(service.rename(name, 'new', '..'), 'invalid-input', /names a directory/);
    expect(await snapshotNames(name)).toEqual(['new', 'taken']);
  });

  it('sets and clears the expiry', async () => {
    const name = await fixtures.launch(testName('setexp'), { stopped: true });
    await incus('snapshot', 'create', name, 's');
    expect((await service.setExpiry(name, 's', '2099-06-01T12:00:00Z')).expiresAt).toMatch(/^2099-06-01T12:00:00/);
    expect((await incus('query', `/1.0/instances/${name}/snapshots/s`)).includes('"expires_at": "2099-06-01T12:00:00Z"')).toBe(true);
    expect((await service.setExpiry(name, 's', null)).expiresAt).toBeNull();
    await expectAppError(service.setExpiry(name, 'gone', null), 'not-found', /snapshot 'gone' not found/);
  });

  it('refuses to set an expiry in the past and keeps the one there was', async () => {
    const name = await fixtures.launch(testName('pastset'), { stopped: true });
    await incus('snapshot', 'create', name, 's');
    await service.setExpiry(name, 's', '2099-06-01T12:00:00Z');
    await expectAppError(service.setExpiry(name, 's', new Date(2020, 0, 1).toISOString()), 'invalid-input', /^the expiry 2020-01-01 00:00 is in the past/);
    expect((await service.info(name, 's')).expiresAt).toMatch(/^2099-06-01T12:00:00/);
  });
});

describe('descriptions', () => {
  it('sets, shows everywhere, keeps through a rename and an expiry change, and clears a description', async () => {
    const name = await fixtures.launch(testName('describe'), { stopped: true });
    await incus('snapshot', 'create', name, 'plain');
    await incus('snapshot', 'create', name, 'noted');
    expect(await service.setDescription(name, 'noted', 'before the big refactor')).toMatchObject({ name: 'noted', description: 'before the big refactor' });

    const mine = (await service.listContainers()).find((container) => container.name === name);
    expect(mine?.snapshots.map((snapshot) => [snapshot.name, snapshot.description])).toEqual([['noted', 'before the big refactor'], ['plain', '']]);
    expect((await service.info(name, 'noted')).description).toBe('before the big refactor');

    expect((await service.setExpiry(name, 'noted', '2099-01-01T00:00:00Z')).description).toBe('before the big refactor');
    expect((await service.rename(name, 'noted', 'renamed')).description).toBe('before the big refactor');
    expect((await service.setDescription(name, 'renamed', 'changed')).expiresAt).toMatch(/^2099-01-01/);
    expect((await service.listSnapshots(name)).find((snapshot) => snapshot.name === 'renamed')?.description).toBe('changed');

    expect((await service.setDescription(name, 'renamed', '')).description).toBe('');
    await expectAppError(service.setDescription(name, 'gone', 'x'), 'not-found', /snapshot 'gone' not found/);
    await expectAppError(service.setDescription(name, 'renamed', 'x'.repeat(1001)), 'invalid-input', /may be 1000 characters long; this one is 1001/);
  });
});
