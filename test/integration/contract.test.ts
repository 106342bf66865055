import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_NAMES, contract, type CallName, type CallResult, type CoiApi, type CoiEvent } from '../../src/shared/contract';
import type { CoiCore } from '../../src/main/app/core';
import { Fixtures, incus, readFile, requireDaemon, snapshotNames, status, testName, writeFile } from '../helpers/incus';
import { openCore, preloadFace, webFace, type Face } from '../helpers/transports';

const fixtures = new Fixtures();
let core: CoiCore;
let home: Awaited<ReturnType<typeof openCore>>['home'];
const faces: Face[] = [];

beforeAll(async () => {
  requireDaemon();
  ({ core, home } = await openCore());
  faces.push(preloadFace(core), await webFace(core));
});
afterAll(async () => {
  for (const face of faces) await face.close();
  await core?.close();
  await fixtures.cleanup();
});

/** The value of a call that must succeed. */
function ok<N extends CallName>(result: CallResult<N>): Extract<CallResult<N>, { ok: true }>['value'] {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function failed(result: CallResult<CallName>) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value).slice(0, 200)}`);
  return result.error;
}

/** Waits for the first event that `match` accepts. */
function nextEvent(api: CoiApi, match: (event: CoiEvent) => boolean, timeoutMs = 5_000): Promise<CoiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error('no such event arrived'));
    }, timeoutMs);
    const stop = api.on((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

describe.each(['preload', 'web'] as const)('every call through the %s face, against the real daemon', (faceName) => {
  const exercised = new Set<CallName>();
  const face = () => faces.find((candidate) => candidate.name === faceName)!;
  /** `window.coi`, noting which calls the test made. */
  const coi = () => new Proxy(face().api, { get: (api, name: string) => (exercised.add(name as CallName), api[name as keyof CoiApi]) });

  it('manages hosts', async () => {
    const api = coi();
    expect(ok(await api['hosts.list']({})).map((host) => host.config.name)).toEqual(['local']);
    expect(ok(await api['hosts.warnings']({}))).toEqual([]);
    expect(ok(await api['hosts.test']({ host: 'local' }))).toMatchObject({ status: { state: 'online' }, incusVersion: expect.stringMatching(/^6\./) });

    const nowhere = { kind: 'ssh' as const, name: `nowhere-${faceName}`, user: 'root', host: '127.0.0.1', port: 1, identityFiles: [] };
    const tried = ok(await api['hosts.add']({ host: nowhere }));
    expect(tried.error).toMatchObject({ code: 'host-unreachable', message: expect.stringMatching(/connection refused/) });
    expect(ok(await api['hosts.list']({})).map((host) => host.config.name)).not.toContain(nowhere.name);
    ok(await api['hosts.add']({ host: nowhere, test: false }));
    expect(ok(await api['hosts.list']({})).map((host) => host.config.name)).toContain(nowhere.name);
    ok(await api['hosts.remove']({ host: nowhere.name }));

    writeFileSync(join(home.sshDir, 'config'), `Host lab-${faceName}\n  HostName 127.0.0.1\n  User root\n`);
    expect(ok(await api['hosts.importCandidates']({})).map((candidate) => candidate.alias)).toEqual([`lab-${faceName}`]);
    expect(ok(await api['hosts.import']({ aliases: [`lab-${faceName}`] }))).toEqual([{ alias: `lab-${faceName}`, added: true }]);
    ok(await api['hosts.remove']({ host: `lab-${faceName}` }));

    mkdirSync(join(home.home, '.config', 'incus'), { recursive: true });
    writeFileSync(join(home.home, '.config', 'incus', 'config.yml'), 'remotes:\n  images:\n    addr: https://images.linuxcontainers.org\n    protocol: simplestreams\n    public: true\n');
    const remotes = ok(await api['hosts.incusRemoteCandidates']({}));
    expect(remotes).toEqual({ dir: join(home.home, '.config', 'incus'), remotes: [{ alias: 'images', problem: 'an image server (simplestreams), not an Incus server with containers' }] });
    expect(ok(await api['hosts.importIncusRemotes']({ aliases: ['images'] }))).toEqual([{ alias: 'images', added: false, reason: remotes.remotes[0]!.problem }]);

    expect(failed(await api['hosts.trustFingerprint']({ host: 'local', fingerprint: `SHA256:${'A'.repeat(43)}` })).code).toBe('not-found');
    expect(failed(await api['hosts.forgetKey']({ host: 'local', fingerprint: `SHA256:${'A'.repeat(43)}` })).code).toBe('not-found');
    expect(failed(await api['hosts.answerPassphrase']({ requestId: randomUUID(), passphrase: null })).code).toBe('not-found');
  });

  it('lists, stops and starts containers, with the overview arriving as events too', async () => {
    const api = coi();
    const name = await fixtures.launch(testName(`ct${faceName}`));
    expect(ok(await api['containers.list']({ host: 'local' })).find((c) => c.name === name)?.status).toBe('Running');
    expect(ok(await api['containers.get']({ host: 'local', container: name }))).toMatchObject({ name, status: 'Running', snapshots: [] });
    expect(failed(await api['containers.get']({ host: 'local', container: 'test-no-such-container' })).code).toBe('not-found');
    expect(ok(await api['containers.setMountExcludes']({ host: 'local', container: name, excludes: ['build', '.tox'] })).mountExcludes).toEqual(['build', '.tox']);
    expect(ok(await api['containers.setMountExcludes']({ host: 'local', container: name, excludes: [] })).mountExcludes).toEqual([]);
    expect(failed(await api['containers.setMountExcludes']({ host: 'local', container: name, excludes: ['a/b'] })).message).toMatch(/is a path/);
    const arrived = nextEvent(api, (event) => event.type === 'overview-host' && event.overview.host === 'local');
    const full = ok(await api['containers.overview']({}))[0];
    expect(full?.host).toBe('local');
    expect(full?.containers.find((c) => c.name === name)?.snapshots).toEqual({ count: 0, newest: null });
    await arrived;
    // The fast phase: names and states, the snapshots not read (null, never a count of 0).
    const first = ok(await api['containers.overview']({ snapshots: false }))[0];
    expect(first?.containers.find((c) => c.name === name)).toMatchObject({ name, status: 'Running', snapshots: null });
    ok(await api['containers.stop']({ host: 'local', container: name, force: true }));
    expect(await status(name)).toBe('STOPPED');
    ok(await api['containers.start']({ host: 'local', container: name }));
    expect(await status(name)).toBe('RUNNING');
  });

  it('creates, inspects, renames, expires, restores, branches and deletes snapshots', async () => {
    const api = coi();
    const name = await fixtures.launch(testName(`sn${faceName}`));
    await writeFile(name, '/root/f', 'first');
    const created = nextEvent(api, (event) => event.type === 'lifecycle' && event.action === 'instance-snapshot-created' && event.container === name);
    expect(ok(await api['snapshots.create']({ host: 'local', container: name, name: 'c1' })).name).toBe('c1');
    await created;
    expect(ok(await api['snapshots.list']({ host: 'local', container: name })).map((s) => s.name)).toEqual(['c1']);
    expect(ok(await api['snapshots.info']({ host: 'local', container: name, snapshot: 'c1' }))).toMatchObject({ name: 'c1', container: name });
    expect(ok(await api['snapshots.rename']({ host: 'local', container: name, snapshot: 'c1', newName: 'c2' })).name).toBe('c2');
    expect(ok(await api['snapshots.setExpiry']({ host: 'local', container: name, snapshot: 'c2', expiresAt: '2099-01-01T00:00:00Z' })).expiresAt).toMatch(/^2099/);
    expect(ok(await api['snapshots.setDescription']({ host: 'local', container: name, snapshot: 'c2', description: 'before the refactor' })).description).toBe('before the refactor');

    await writeFile(name, '/root/f', 'second');
    const restored = ok(await api['snapshots.restore']({ host: 'local', container: name, snapshot: 'c2', stopFirst: true }));
    expect(restored).toMatchObject({ safetySnapshot: expect.stringMatching(/^pre-restore-/), stopped: true, startedAgain: true });
    expect(await readFile(name, '/root/f')).toBe('first');
    expect(await status(name)).toBe('RUNNING');

    const branch = ok(await api['snapshots.branch']({ host: 'local', container: name, snapshot: 'c2' }));
    fixtures.adopt(branch.name);
    expect(branch).toMatchObject({ name: `${name}-c2-copy`, status: 'Stopped', snapshots: [] });

    expect(ok(await api['snapshots.deleteMany']({ host: 'local', container: name, snapshots: [restored.safetySnapshot!] }))).toEqual([{ name: restored.safetySnapshot, ok: true }]);
    expect(failed(await api['snapshots.deleteAll']({ host: 'local', container: name, confirmName: 'not-it' })).code).toBe('confirmation-required');
    expect(await snapshotNames(name)).toEqual(['c2']);
    expect(ok(await api['snapshots.deleteAll']({ host: 'local', container: name, confirmName: name }))).toEqual([{ name: 'c2', ok: true }]);
    expect(failed(await api['snapshots.delete']({ host: 'local', container: name, snapshot: 'c2' }))).toMatchObject({ code: 'not-found', host: 'local', message: expect.stringMatching(/snapshot 'c2' not found/) });
    await incus('snapshot', 'create', name, 'one-more');
    ok(await api['snapshots.delete']({ host: 'local', container: name, snapshot: 'one-more' }));
  });

  it('refuses a past expiry and a restore of a vanished snapshot, changing nothing and stopping nothing', async () => {
    const api = coi();
    const name = await fixtures.launch(testName(`safe${faceName}`));
    ok(await api['snapshots.create']({ host: 'local', container: name, name: 'keep', expiresAt: '2099-01-01T00:00:00Z' }));
    const past = new Date(2020, 0, 1).toISOString();
    const expected = { code: 'invalid-input', message: 'the expiry 2020-01-01 00:00 is in the past: Incus would delete the snapshot within a minute; pick a later time or no expiry' };
    expect(failed(await api['snapshots.create']({ host: 'local', container: name, name: 'doomed', expiresAt: past }))).toMatchObject(expected);
    expect(failed(await api['snapshots.setExpiry']({ host: 'local', container: name, snapshot: 'keep', expiresAt: past }))).toMatchObject(expected);
    expect(ok(await api['snapshots.info']({ host: 'local', container: name, snapshot: 'keep' })).expiresAt).toMatch(/^2099-01-01/);

    const gone = failed(await api['snapshots.restore']({ host: 'local', container: name, snapshot: 'gone', stopFirst: true }));
    expect(gone).toMatchObject({ code: 'not-found', message: expect.stringMatching(/^snapshot 'gone' not found for container '.*' \(it has 1 snapshot: keep\)$/) });
    expect(await status(name)).toBe('RUNNING');
    expect(await snapshotNames(name)).toEqual(['keep']);
  });

  it('sets, reads and removes a schedule and a retention policy, previews and applies it', async () => {
    const api = coi();
    const name = await fixtures.launch(testName(`ret${faceName}`), { stopped: true });
    const ref = { host: 'local', container: name };
    expect(ok(await api['schedule.get'](ref))).toBeNull();
    const set = ok(await api['schedule.set']({ ...ref, every: '30m', stopped: true, expiry: '7d' }));
    expect(set).toMatchObject({ cron: '*/30 * * * *', summary: 'every 30 minutes', stopped: true, expiry: '7d', coiPattern: true });
    expect(set.nextRuns).toHaveLength(3);
    expect(ok(await api['schedule.get'](ref))?.cron).toBe('*/30 * * * *');
    expect(failed(await api['schedule.set']({ ...ref, every: '45m' }))).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/45m has no cron form/) });
    ok(await api['schedule.off'](ref));
    expect(ok(await api['schedule.get'](ref))).toBeNull();

    for (const snapshot of ['snap-20200101-000000', 'snap-20200102-000000', 'snap-20200103-000000', 'mine']) await incus('snapshot', 'create', name, snapshot);
    expect(ok(await api['retention.get'](ref))).toBeNull();
    expect(failed(await api['retention.preview'](ref))).toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/has no retention policy/) });
    const policy = { keepLast: 1, hourly: 0, daily: 0, weekly: 0, monthly: 0, includeNamed: false };
    expect(ok(await api['retention.set']({ ...ref, policy }))).toEqual(policy);
    expect(ok(await api['retention.get'](ref))).toEqual(policy);
    ok(await api['retention.pin']({ ...ref, snapshot: 'snap-20200101-000000', pinned: true }));
    // A pin follows its snapshot through a rename.
    ok(await api['snapshots.rename']({ ...ref, snapshot: 'snap-20200101-000000', newName: 'snap-20200101-000001' }));
    ok(await api['snapshots.rename']({ ...ref, snapshot: 'snap-20200101-000001', newName: 'snap-20200101-000000' }));
    // Created in this order within a second or two: the newest is the last one created.
    const plan = ok(await api['retention.preview'](ref));
    expect(plan.counts).toMatchObject({ kept: 1, going: 1, untouched: 2 });
    expect(plan.entries.find((entry) => entry.name === 'mine')).toMatchObject({ status: 'untouched', reason: 'named checkpoint' });
    expect(plan.entries.find((entry) => entry.name === 'snap-20200101-000000')).toMatchObject({ status: 'untouched', reason: 'pinned', pinned: true });
    const draft = ok(await api['retention.preview']({ ...ref, policy: { ...policy, keepLast: 5 } }));
    expect(draft.counts).toMatchObject({ kept: 2, going: 0 });
    expect(await snapshotNames(name)).toHaveLength(4);
    ok(await api['retention.off'](ref));
    expect(ok(await api['retention.get'](ref))).toBeNull();
    expect(failed(await api['retention.apply'](ref)).message).toMatch(/has no retention policy/);
  });

  it('lists operations and says when one cannot be cancelled', async () => {
    const api = coi();
    expect(Array.isArray(ok(await api['operations.list']({ host: 'local' })))).toBe(true);
    expect(failed(await api['operations.cancel']({ host: 'local', id: randomUUID() })).code).toBe('not-found');
  });

  it('offers backups to a face without file dialogs as one-time addresses', async () => {
    const api = coi();
    expect(ok(await api['backups.files']({}))).toEqual({ files: 'browser' });
    expect(ok(await api['backups.export']({ host: 'local', container: 'anything' }))).toMatchObject({ kind: 'download', url: expect.stringMatching(/^\/api\/backup\/download\/[\w-]{43}$/) });
    expect(ok(await api['backups.import']({ host: 'local', upload: { fileName: 'b.tar.gz', size: 10 } }))).toMatchObject({ kind: 'upload', url: expect.stringMatching(/^\/api\/backup\/upload\/[\w-]{43}$/) });
    expect(failed(await api['backups.import']({ host: 'local' })).message).toContain('choose the backup file to upload first');
  });

  it('diffs a snapshot against the (stopped) container now, and one file of it', async () => {
    const api = coi();
    const name = await fixtures.launch(testName(`cdiff-${faceName}`), { stopped: true });
    const text = join(home.home, `notes-${faceName}.txt`);
    const push = async (content: string) => {
      writeFileSync(text, content);
      await incus('file', 'push', text, `${name}/root/notes.txt`);
    };
    await push('one\n');
    await incus('snapshot', 'create', name, 'before');
    await push('two\n');
    const diff = ok(await api['snapshots.diff']({ host: 'local', container: name, from: 'before' }));
    expect(diff.modified.map((entry) => entry.path)).toEqual(['/root/notes.txt']);
    expect([diff.added, diff.deleted, diff.metadata]).toEqual([[], [], []]);
    const file = ok(await api['snapshots.diffFile']({ host: 'local', container: name, from: 'before', path: '/root/notes.txt' }));
    expect(file.content).toMatchObject({ type: 'text', same: false, unified: expect.stringContaining('-one\n+two\n') });
    expect(failed(await api['snapshots.diff']({ host: 'local', container: name, from: 'gone' })).code).toBe('not-found');
  });

  it('left no call of the contract untested', () => {
    expect([...exercised].filter((name) => CALL_NAMES.includes(name)).sort()).toEqual([...CALL_NAMES].sort());
  });
});

describe('malformed payloads', () => {
  /** Valid payloads, one per call, that the generator then corrupts. */
  const base = (container: string): Record<CallName, Record<string, unknown>> => ({
    'hosts.list': {},
    'hosts.warnings': {},
    'hosts.add': { host: { kind: 'ssh', name: 'x', user: 'u', host: 'h', port: 22, identityFiles: [] }, test: false },
    'hosts.importCandidates': {},
    'hosts.import': { aliases: ['a'] },
    'hosts.incusRemoteCandidates': {},
    'hosts.importIncusRemotes': { aliases: ['a'] },
    'hosts.remove': { host: 'x' },
    'hosts.test': { host: 'local' },
    'hosts.trustFingerprint': { host: 'local', fingerprint: `SHA256:${'A'.repeat(43)}` },
    'hosts.forgetKey': { host: 'local', fingerprint: `SHA256:${'A'.repeat(43)}` },
    'hosts.answerPassphrase': { requestId: randomUUID(), passphrase: null },
    'containers.list': { host: 'local' },
    'containers.get': { host: 'local', container },
    'containers.overview': {},
    'containers.start': { host: 'local', container },
    'containers.setMountExcludes': { host: 'local', container, excludes: ['build'] },
    'containers.stop': { host: 'local', container },
    'snapshots.list': { host: 'local', container },
    'snapshots.create': { host: 'local', container, name: 'fuzz' },
    'snapshots.restore': { host: 'local', container, snapshot: 'keep' },
    'snapshots.delete': { host: 'local', container, snapshot: 'keep' },
    'snapshots.deleteMany': { host: 'local', container, snapshots: ['keep'] },
    'snapshots.deleteAll': { host: 'local', container, confirmName: container },
    'snapshots.info': { host: 'local', container, snapshot: 'keep' },
    'snapshots.branch': { host: 'local', container, snapshot: 'keep' },
    'snapshots.rename': { host: 'local', container, snapshot: 'keep', newName: 'other' },
    'snapshots.setExpiry': { host: 'local', container, snapshot: 'keep', expiresAt: null },
    'snapshots.setDescription': { host: 'local', container, snapshot: 'keep', description: 'fuzz' },
    'snapshots.diff': { host: 'local', container, from: 'keep' },
    'snapshots.diffFile': { host: 'local', container, from: 'keep', path: '/etc/hosts' },
    'schedule.get': { host: 'local', container },
    'schedule.set': { host: 'local', container, every: '@daily' },
    'schedule.off': { host: 'local', container },
    'retention.get': { host: 'local', container },
    'retention.set': { host: 'local', container, policy: { keepLast: 3 } },
    'retention.off': { host: 'local', container },
    'retention.preview': { host: 'local', container },
    'retention.apply': { host: 'local', container },
    'retention.pin': { host: 'local', container, snapshot: 'keep', pinned: true },
    'backups.files': {},
    'backups.export': { host: 'local', container },
    'backups.import': { host: 'local', upload: { fileName: 'b.tar.gz', size: 1 } },
    'operations.list': { host: 'local' },
    'operations.cancel': { host: 'local', id: randomUUID() },
  });

  /** Values that no field of the contract accepts where it expects what the base payload has. */
  const unsafeName = fc.constantFrom('..', '.', '', '../etc', 'a/b', 'a b', '.hidden', '-x', 'x'.repeat(300), 'naïve', 'tab\tname', 'new\nline');
  const wrongType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
  const corruption = fc.oneof(
    fc.record({ kind: fc.constant('field' as const), value: fc.oneof(unsafeName, wrongType) }),
    fc.record({ kind: fc.constant('extra' as const), key: fc.string({ minLength: 1, maxLength: 8 }).filter((key) => !['host', 'container', 'snapshot'].includes(key)) }),
    fc.record({ kind: fc.constant('whole' as const), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 })) }),
  );

  function corrupt(payload: Record<string, unknown>, how: { kind: string; value?: unknown; key?: string }, pick: number): unknown {
    if (how.kind === 'whole') return how.value;
    if (how.kind === 'extra') return { ...payload, [how.key! in payload ? `${how.key}_` : how.key!]: 1 };
    const keys = Object.keys(payload);
    if (keys.length === 0) return { unexpected: how.value };
    const key = keys[pick % keys.length]!;
    return { ...payload, [key]: how.value };
  }

  // A project of its own: "nothing changed" must not see other test files' containers come and go.
  let own: Fixtures;
  let scoped: CoiCore;
  const scopedFaces: Face[] = [];
  beforeAll(async () => {
    own = await Fixtures.inProject('fuzz');
    ({ core: scoped } = await openCore());
    await scoped.registry.add({ kind: 'local', name: 'local', project: own.project });
    scopedFaces.push(preloadFace(scoped), await webFace(scoped));
  });
  afterAll(async () => {
    for (const face of scopedFaces) await face.close();
    await scoped?.close();
    await own?.cleanup();
  });
  const state = async (container: string) => ({
    snapshots: (await own.incus('snapshot', 'list', container, '--format', 'csv', '-c', 'n')).split('\n').filter(Boolean).sort(),
    instances: (await own.incus('list', '-c', 'n', '--format', 'csv')).split('\n').filter(Boolean).sort(),
  });

  it.each(['preload', 'web'] as const)('are refused through the %s face with a validation error, and change nothing on the daemon', async (faceName) => {
    const api = scopedFaces.find((face) => face.name === faceName)!.api;
    const container = await own.launch(testName(`fuzz${faceName[0]}`), { stopped: true });
    await own.incus('snapshot', 'create', container, 'keep');
    const before = await state(container);
    expect(before.snapshots).toEqual(['keep']);
    const payloads = base(container);

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CALL_NAMES), corruption, fc.nat(), async (name, how, pick) => {
        const payload = corrupt(payloads[name], how, pick);
        // Only payloads the contract cannot accept: a corruption that happens to stay valid proves nothing here.
        const call = (api as unknown as Record<string, (input: unknown) => Promise<CallResult<CallName>>>)[name]!;
        fc.pre(!contract[name].input.safeParse(payload).success);
        const error = failed(await call(payload));
        expect(error.code).toBe('invalid-input');
        expect(error.message).toMatch(new RegExp(`^invalid ${name.replace('.', '\\.')} request: `));
      }),
      { numRuns: 300 },
    );
    expect(await state(container)).toEqual(before);
  });
});
