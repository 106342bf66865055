import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffEntry, DiffResult, FileStat } from '../../src/shared/diff';
import { DiffCache } from '../../src/main/snapshots/diff/cache';
import { recordTakenSnapshot } from '../../src/main/snapshots/diff/diff';
import { getInstance, getSnapshot } from '../../src/main/incus/instances';
import type { IncusClient } from '../../src/main/incus/client';
import { cli } from '../helpers/cli';
import { tempHome } from '../helpers/hosts';
import { openCore, preloadFace } from '../helpers/transports';
import { Fixtures, incus, localClient, requireDaemon, testName } from '../helpers/incus';

/**
 * A snapshot taken by coi-desktop is recorded right after (see src/main/snapshots/diff/record.ts),
 * and a diff against it then reads no image of it. On the real daemon: the diff without the image
 * must be exactly the diff with it, whatever was changed since; a change the record cannot vouch for
 * makes the diff read the snapshot.
 */
const fixtures = new Fixtures();
let client: IncusClient;

/** Waits inside the container until every ctime is more than the record's two-second margin old. */
const SETTLE = `c=$(date +%s); while [ "$(date +%s)" -lt $((c + 3)) ]; do sleep 1; done`;

const BEFORE = `mkdir -p /w/moved && cd /w && printf hello > same.txt && printf '#!/bin/sh\\n' > mode.sh && printf bye > gone.txt
printf moved > moved/f && printf link > h1 && ln h1 h2 && touch -d '2020-01-01 00:00:00' same.txt h1
${SETTLE}`;

/** Same-size edit with the mtime set back, chmod, delete, add, rename, an edit through a hard link, a new hard link. */
const AFTER = `cd /w && printf HELLO > same.txt && touch -d '2020-01-01 00:00:00' same.txt && chmod 755 mode.sh && rm gone.txt
printf new > new.txt && mv moved moved2 && printf LINK > h2 && touch -d '2020-01-01 00:00:00' h1 && ln same.txt same-link`;

const paths = (entries: { path: string }[]) => entries.map((entry) => entry.path);

async function diff(configDir: string, args: string[]): Promise<DiffResult> {
  const run = await cli(['snapshot', 'diff', ...args, '--format', 'json'], { env: { COI_DESKTOP_CONFIG_DIR: configDir } });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as DiffResult;
}

/** The snapshot manifests read from an image and cached in `configDir` (a diff that used only the record wrote none). */
const manifestsRead = (configDir: string) => readdirSync(join(configDir, 'cache', 'diff', 'manifests'), { withFileTypes: true }).filter((entry) => entry.isFile()).length;
const noManifestRead = (configDir: string) => expect(() => manifestsRead(configDir)).toThrow(/ENOENT/);

/** What the user reads, without the times of the sides (the current side is read at each diff) and without mtimes (see sameMtimes). */
function changes(result: DiffResult): unknown {
  const stat = (value: FileStat | null) => value && { ...value, mtime: null };
  const entries = (list: DiffEntry[]) => list.map((entry) => ({ ...entry, before: stat(entry.before), after: stat(entry.after) }));
  return { ...result, from: null, to: null, cached: null, added: entries(result.added), deleted: entries(result.deleted), modified: entries(result.modified), metadata: entries(result.metadata) };
}

/**
 * The mtimes of two diffs of the same sides, a second apart at most: an image's tar rounds an mtime
 * to the nearest second (Go's archive/tar), a listing gives the second it is in (stat's %Y).
 */
function expectSameMtimes(one: DiffResult, other: DiffResult): void {
  const mtimes = (result: DiffResult) => [result.added, result.deleted, result.modified, result.metadata].flat().flatMap((entry) => [entry.before, entry.after]).map((stat) => (stat ? Date.parse(stat.mtime) : 0));
  const theirs = mtimes(other);
  mtimes(one).forEach((mtime, index) => expect(Math.abs(mtime - theirs[index]!)).toBeLessThanOrEqual(1000));
}

beforeAll(() => {
  requireDaemon();
  client = localClient();
});

afterAll(async () => {
  await client?.close();
  await fixtures.cleanup();
});

describe('a snapshot taken by coi-desktop', () => {
  it('is diffed without reading it, exactly as when it is read: same-size edit, mtime set back, chmod, delete, add, rename, hard links', async () => {
    const box = await fixtures.launch(testName('record'));
    await incus('exec', box, '--', 'sh', '-c', BEFORE);
    const { configDir } = tempHome();
    const made = await cli(['snapshot', 'create', 's', '-c', box], { env: { COI_DESKTOP_CONFIG_DIR: configDir } });
    expect(made.code).toBe(0);
    await incus('exec', box, '--', 'sh', '-c', AFTER);

    const recorded = await diff(configDir, ['s', '-c', box]);
    expect(recorded.cached).toEqual({ from: true, to: false });
    noManifestRead(configDir);
    expect(paths(recorded.added)).toEqual(['/w/moved2', '/w/moved2/f', '/w/new.txt', '/w/same-link']);
    expect(paths(recorded.deleted)).toEqual(['/w/gone.txt', '/w/moved', '/w/moved/f']);
    expect(recorded.modified.map((entry) => [entry.path, entry.changes])).toEqual([
      ['/w/h1', ['content']],
      ['/w/h2', ['content']],
      ['/w/same.txt', ['content']],
    ]);
    expect(recorded.modified[2]).toMatchObject({ before: { size: 5, mtime: '2020-01-01T00:00:00.000Z' }, after: { size: 5, mtime: '2020-01-01T00:00:00.000Z' } });
    expect(recorded.metadata.map((entry) => [entry.path, entry.changes])).toEqual([['/w/mode.sh', ['mode']]]);

    // the same diff reading the snapshot from an image (a configuration directory without the record)
    const read = await diff(tempHome().configDir, ['s', '-c', box]);
    expect(read.cached).toEqual({ from: false, to: false });
    expect(changes(recorded)).toEqual(changes(read));
    expectSameMtimes(recorded, read);

    // restored to the snapshot (Incus stops and starts it): the record still stands. Incus's dir driver
    // restores with rsync's quick check, so a same-size edit whose mtime was set back stays: both diffs say so.
    await incus('snapshot', 'restore', box, 's');
    const restored = await diff(configDir, ['s', '-c', box, '--path', '/w']);
    expect(restored.cached.from).toBe(true);
    expect(restored.summary).toMatchObject({ added: 0, deleted: 0, metadata: 0 });
    expect(changes(restored)).toEqual(changes(await diff(tempHome().configDir, ['s', '-c', box, '--path', '/w'])));
  });

  it('is read from an image when something the diff compares changed after the snapshot began, before the record; the change is reported', async () => {
    const box = await fixtures.launch(testName('recordlate'));
    await incus('exec', box, '--', 'sh', '-c', `mkdir -p /w/sub /k && printf aaaa > /w/x && printf b > /w/sub/y && printf k > /k/keep && touch -d '2020-01-01 00:00:00' /w/x\n${SETTLE}`);
    const before = await getInstance(client, box);
    await incus('snapshot', 'create', box, 's');
    // after the snapshot, before coi-desktop records it: a same-size edit with the mtime set back, a file added in a folder
    await incus('exec', box, '--', 'sh', '-c', "printf AAAA > /w/x && touch -d '2020-01-01 00:00:00' /w/x && printf z > /w/sub/z");
    const { configDir } = tempHome();
    const snapshot = await getSnapshot(client, box, 's');
    const deps = { client, host: 'local', project: 'default', configDir };
    expect(await recordTakenSnapshot(deps, before, snapshot)).toBeUndefined();

    // what the record covers is diffed from it
    const covered = await diff(configDir, ['s', '-c', box, '--path', '/k']);
    expect(covered.cached.from).toBe(true);
    expect(covered.summary).toMatchObject({ added: 0, deleted: 0, modified: 0, metadata: 0 });
    noManifestRead(configDir);

    // the rest is read from the snapshot, and the changes are there
    const late = await diff(configDir, ['s', '-c', box, '--path', '/w']);
    expect(late.modified.map((entry) => entry.path)).toEqual(['/w/x']);
    expect(paths(late.added)).toEqual(['/w/sub/z']);
    expect(late.cached.from).toBe(false);
    const record = await new DiffCache(join(configDir, 'cache', 'diff')).readRecord({ host: 'local', project: 'default', container: box, snapshot: 's', createdAt: snapshot.created_at });
    expect(record?.unknown).toEqual(expect.arrayContaining(['/w/x', '/w/sub']));
    expect(manifestsRead(configDir)).toBe(1);
  });

  it('is not recorded when the container started again after the snapshot began (a restore on a copy-on-write driver puts back old ctimes)', async () => {
    const box = await fixtures.launch(testName('recordrestart'));
    const before = await getInstance(client, box);
    await incus('snapshot', 'create', box, 's');
    await incus('restart', '--force', box);
    const { configDir } = tempHome();
    const deps = { client, host: 'local', project: 'default', configDir };
    expect(await recordTakenSnapshot(deps, before, await getSnapshot(client, box, 's'))).toBe('the container started again after the snapshot began');
  });

  it('the app records the snapshot it takes after the create returns, and one Incus takes of a COI container while it runs (its schedule, a terminal)', async () => {
    const prefix = 'test-recev-';
    const saved = process.env.COI_CONTAINER_PREFIX;
    process.env.COI_CONTAINER_PREFIX = prefix;
    const { core, home } = await openCore().finally(() => (process.env.COI_CONTAINER_PREFIX = saved));
    const face = preloadFace(core);
    try {
      await core.pool.test('local');
      await core.liveEventsOpen('local');
      const box = await fixtures.launch(testName('recev'));
      expect(box.startsWith(prefix)).toBe(true);
      await incus('exec', box, '--', 'sh', '-c', `mkdir /w && printf hello > /w/f && printf app > /w/g\n${SETTLE}`);
      const cache = new DiffCache(join(home.configDir, 'cache', 'diff'));
      const recorded = async (name: string) => {
        const key = { host: 'local', project: 'default', container: box, snapshot: name, createdAt: (await getSnapshot(client, box, name)).created_at };
        for (const deadline = Date.now() + 20_000; !(await cache.readRecord(key)) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
      };
      expect(await face.api['snapshots.create']({ host: 'local', container: box, name: 'by-app' })).toMatchObject({ ok: true });
      await recorded('by-app'); // before the next snapshot: Incus freezes the container while it takes one, and a record then gives up
      await incus('snapshot', 'create', box, 'scheduled');
      await recorded('scheduled');
      await incus('exec', box, '--', 'sh', '-c', 'printf HELLO > /w/f');
      for (const name of ['by-app', 'scheduled']) {
        const result = await diff(home.configDir, [name, '-c', box, '--path', '/w']);
        expect(result.cached.from).toBe(true);
        expect(result.modified.map((entry) => entry.path)).toEqual(['/w/f']);
      }
    } finally {
      await face.close();
      await core.close();
    }
  });

  it('a snapshot not taken by coi-desktop, and not seen by a running app, is read from an image; so is one made again under a recorded name', async () => {
    const box = await fixtures.launch(testName('recordnot'));
    await incus('snapshot', 'create', box, 'outside');
    const { configDir } = tempHome();
    const result = await diff(configDir, ['outside', '-c', box]);
    expect(result.cached.from).toBe(false);
    expect(manifestsRead(configDir)).toBe(1);

    // recorded, deleted, and taken again with the same name outside coi-desktop: another snapshot, no record
    await incus('exec', box, '--', 'sh', '-c', `mkdir /w && printf one > /w/f\n${SETTLE}`);
    expect((await cli(['snapshot', 'create', 'again', '-c', box], { env: { COI_DESKTOP_CONFIG_DIR: configDir } })).code).toBe(0);
    await incus('snapshot', 'delete', box, 'again');
    await incus('exec', box, '--', 'sh', '-c', 'printf two > /w/f');
    await incus('snapshot', 'create', box, 'again');
    await incus('exec', box, '--', 'sh', '-c', 'printf six > /w/f');
    const again = await diff(configDir, ['again', '-c', box, '--path', '/w']);
    expect(again.cached.from).toBe(false);
    expect(again.modified).toMatchObject([{ path: '/w/f', before: { sha256: createHash('sha256').update('two').digest('hex') } }]);
  });
});
