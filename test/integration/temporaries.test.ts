import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepLeftovers, TemporaryJournal, TEMPORARIES_DIR } from '../../src/main/app/temporaries';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { cli, exited, spawnCli } from '../helpers/cli';
import { Fixtures, incus, localClient, requireDaemon, testName } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';

const fixtures = new Fixtures();
const local = localClient();
let projects: Fixtures | undefined;
/** A running container with a snapshot s1. */
let container: string;

const configDir = () => mkdtempSync(join(tmpdir(), 'coi-temporaries-'));
const env = (dir: string) => ({ COI_DESKTOP_CONFIG_DIR: dir, COI_CONTAINER: '' });

/** In the body of the copy request: seen once the whole request has reached the daemon. */
const COPY_BODY = '"type":"copy"';

/** The pid of a process that has ended. */
const endedPid = () => spawnSync(process.execPath, ['-e', '0']).pid;

/** Image aliases of the diffs of `of`. */
async function diffImages(of: string): Promise<string[]> {
  const aliases = (await incus('image', 'alias', 'list', '--format', 'csv')).split('\n').map((line) => line.split(',')[0] ?? '');
  return aliases.filter((alias) => alias.startsWith('coi-diff-') && alias.endsWith(`-${of}`));
}

/** Instances in `fixture`'s project that are an export's temporary copy of `of`. */
async function exportCopies(fixture: Fixtures, of: string): Promise<string[]> {
  const names = (await fixture.incus('list', '--format', 'csv', '-c', 'n')).split('\n');
  return names.filter((name) => name.startsWith(`coi-export-${of}`));
}

/**
 * Runs the built CLI through a proxy that withholds the answer to the request containing `step`, and
 * sends it `signal` there, once `ready` (what the daemon shows meanwhile) has resolved.
 */
async function signalledAt(args: string[], step: string, dir: string, signal: NodeJS.Signals, ready?: () => Promise<unknown>): Promise<{ code: number; stderr: string }> {
  const proxy = new SocketProxy(findLocalSocket());
  await proxy.resume();
  const held = proxy.holdAnswersAfter(step);
  const child = spawnCli(args, { INCUS_SOCKET: proxy.path, ...env(dir) });
  const ended = exited(child);
  // A command that ends before the request is a failed test, not a hang.
  await Promise.race([held, ended.then((run) => Promise.reject(new Error(`ended (${run.code}) before '${step}': ${run.stderr}`)))]);
  await ready?.();
  child.kill(signal);
  const run = await ended;
  await proxy.cut();
  return run;
}

/** Resolves with `check`'s first non-empty answer (a readiness signal of the daemon's, looked at every 100 ms). */
async function until(check: () => Promise<string[]>): Promise<string[]> {
  for (;;) {
    const found = await check();
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A journal entry written as a killed process (or a hand) would leave it. */
function entry(dir: string, file: string, content: unknown): string {
  const path = join(dir, TEMPORARIES_DIR, file);
  mkdirSync(join(dir, TEMPORARIES_DIR), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

beforeAll(async () => {
  requireDaemon();
  container = await fixtures.launch(testName('tmp'));
  await incus('snapshot', 'create', container, 's1');
}, 120_000);

afterAll(async () => {
  for (const alias of await diffImages(container)) await incus('image', 'delete', alias).catch(() => undefined);
  for (const name of projects ? await exportCopies(projects, '') : []) projects?.adopt(name);
  for (const name of await exportCopies(fixtures, container)) fixtures.adopt(name); // the copy a Ctrl-C left
  await projects?.cleanup();
  await local.close();
  await fixtures.cleanup();
});

describe('temporary objects a killed command leaves on the server', () => {
  it('a snapshot diff killed with SIGKILL while reading its temporary image leaves it only until the next diff, which removes it', async () => {
    const dir = configDir();
    const { code } = await signalledAt(['snapshot', 'diff', 's1', '-c', container, '--summary'], '/export', dir, 'SIGKILL');
    expect(code).toBe(137);
    const left = await diffImages(container);
    expect(left).toHaveLength(1); // what a killed process cannot remove

    const next = await cli(['snapshot', 'diff', 's1', '-c', container, '--summary'], { env: env(dir) });
    expect(next.stderr).toContain(`Removed the temporary image '${left[0]}' that an interrupted diff left on local`);
    expect(next.code).toBe(0);
    expect(await diffImages(container)).toEqual([]);
    expect(readdirSync(join(dir, TEMPORARIES_DIR))).toEqual([]);
  }, 90_000);

  it("an export copy killed in another project is removed there after the host's project was changed", async () => {
    projects = await Fixtures.inProject('tmp-proj');
    const inProject = await projects.launch(testName('tmp-p'), { stopped: true });
    await projects.incus('snapshot', 'create', inProject, 'a');
    const dir = configDir();
    const hosts = (project?: string) => writeFileSync(join(dir, 'hosts.json'), JSON.stringify({ version: 1, hosts: [{ name: 'local', kind: 'local', ...(project ? { project } : {}) }] }));
    hosts(projects.project);
    const out = join(dir, 'p.tar.gz');
    // Killed while Incus makes the copy (it shows in the project's list).
    const copying = () => until(() => exportCopies(projects!, inProject));
    expect((await signalledAt(['backup', 'export', '-c', inProject, '--snapshot', 'a', '-o', out], COPY_BODY, dir, 'SIGKILL', copying)).code).toBe(137);
    const left = await copying();
    hosts(undefined); // the user edits the host: it now uses the default project
    const next = await cli(['backup', 'export', '-c', container, '--instance-only', '-o', join(dir, 'next.tar.gz')], { env: env(dir) });
    expect(next.stderr).toContain(`Removed the temporary container '${left[0]}' that an interrupted export left on local in project ${projects.project}`);
    expect(next.code).toBe(0);
    expect(await exportCopies(projects, inProject)).toEqual([]);
    expect(readdirSync(join(dir, TEMPORARIES_DIR))).toEqual([]);
  }, 90_000);

  it('Ctrl-C right after the copy was requested never claims that nothing was left while the copy may still appear', async () => {
    const dir = configDir();
    const run = await signalledAt(['backup', 'export', '-c', container, '--snapshot', 's1', '-o', join(dir, 'c.tar.gz')], COPY_BODY, dir, 'SIGINT');
    expect(run.code).toBe(130);
    const kept = readdirSync(join(dir, TEMPORARIES_DIR));
    if (kept.length === 0) {
      // Removed: the copy was made before the clean-up looked for it.
      expect(run.stderr).toContain('nothing was left on the server');
    } else {
      // Not there yet (or still being made): its entry is kept, and the message says so.
      expect(kept).toEqual([expect.stringMatching(new RegExp(`^instance-coi-export-${container}-[0-9a-f]{8}\\.json$`))]);
      expect(run.stderr).toMatch(/the temporary container 'coi-export-\S+' (was being made when the export stopped and may still appear|could not be removed \(.*\)): the next export, import or diff on local removes it, or run 'incus delete coi-export-\S+'/);
      expect(run.stderr).not.toContain('nothing was left on the server');
    }
  }, 60_000);

  it('an entry naming anything but a coi-export-/coi-diff- object is never acted on: set aside with one notice naming the file', async () => {
    const dir = configDir();
    const place = { host: 'local', project: 'default', server: 'local' };
    const common = { ...place, pid: endedPid(), machine: hostname(), startedAt: new Date().toISOString() };
    const victim = entry(dir, 'instance-coi-export-foo-12345678.json', { ...common, object: { kind: 'instance', name: container } });
    const corrupt = entry(dir, 'image-coi-diff-x.json', '{"half');
    const notices: string[] = [];
    const journal = new TemporaryJournal(join(dir, TEMPORARIES_DIR), place);
    await sweepLeftovers(local, journal, (message) => notices.push(message));
    expect(notices).toHaveLength(2);
    for (const file of [victim, corrupt]) {
      expect(notices.join('\n')).toContain(`The record ${file} of a temporary object on an Incus server could not be used`);
      expect(existsSync(`${file}.unreadable`)).toBe(true);
    }
    expect(await incus('list', container, '--format', 'csv', '-c', 'n')).toContain(container); // still there

    notices.length = 0;
    await sweepLeftovers(local, journal, (message) => notices.push(message));
    expect(notices).toEqual([]); // said once
  });

  it('an entry made on another server than the host points to now is kept and said, never dropped', async () => {
    const dir = configDir();
    const place = { host: 'local', project: 'default', server: 'local' };
    const made = entry(dir, 'instance-coi-export-gone-12345678.json', { ...place, server: 'ssh://root@192.0.2.1:22', object: { kind: 'instance', name: 'coi-export-gone-12345678' }, pid: endedPid(), machine: hostname(), startedAt: new Date().toISOString() });
    const notices: string[] = [];
    await sweepLeftovers(local, new TemporaryJournal(join(dir, TEMPORARIES_DIR), place), (message) => notices.push(message));
    expect(notices).toEqual([
      `The temporary container 'coi-export-gone-12345678' that an interrupted export left on local is not removed: it was made on ssh://root@192.0.2.1:22, and local now points to local. Remove it there with 'incus delete coi-export-gone-12345678', then delete ${made}`,
    ]);
    expect(existsSync(made)).toBe(true);
  });

  it('a journal directory that is a file fails the export with a message naming it, before anything is made', async () => {
    const dir = configDir();
    writeFileSync(join(dir, TEMPORARIES_DIR), 'not a directory');
    const run = await cli(['backup', 'export', '-c', container, '--snapshot', 's1', '-o', join(dir, 'f.tar.gz')], { env: env(dir) });
    expect(run.stderr).toContain(`${join(dir, TEMPORARIES_DIR)} is not a directory: coi-desktop records there the temporary objects it makes on Incus servers`);
    expect(run.stderr).toContain('Move that file away (or remove it) and try again');
    expect(run.stderr).not.toContain('EEXIST');
    expect(run.code).not.toBe(0);
  });
});
