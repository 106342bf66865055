import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_BIN, cli, cliProcess, exited, spawnCli } from '../helpers/cli';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { Fixtures, incus, requireDaemon, testName, writeFile } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';
import { silentSocket } from '../helpers/silent-socket';
import { openCore } from '../helpers/transports';

// `snapshot list --all` sends its requests to the local daemon before the CLI loads its modules
// (src/main/cli/early-requests.ts); the command then reads those answers, as if it had asked itself.
// With `--format json` the listing is printed without the rest of the CLI (src/main/cli/local-list.ts),
// which hands anything but the plain case to the full CLI: each fault below is checked both ways.

const INSTANCE = {
  name: 'coi-box',
  status: 'Stopped',
  status_code: 102,
  type: 'container',
  created_at: '2026-01-01T00:00:00Z',
  expanded_config: {},
  expanded_devices: { root: { type: 'disk', path: '/', pool: 'default' } },
  snapshots: [{ name: 's1', created_at: '2026-01-02T00:00:00Z', expires_at: '0001-01-01T00:00:00Z', stateful: false, size: 4096, config: {} }],
};

/** A fake daemon on a unix socket with one COI container and its snapshot's description; it records what it was asked. */
async function fakeDaemon(refusePools = false) {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method} ${req.url}`);
    const path = new URL(req.url ?? '/', 'http://incus').pathname;
    if (refusePools && path.startsWith('/1.0/storage-pools')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: 'not authorized', error_code: 403, metadata: null }));
      return;
    }
    const listed = new URL(req.url ?? '/', 'http://incus').searchParams.has('recursion');
    const metadata =
      path === '/1.0/instances' ? (listed ? [INSTANCE] : ['/1.0/instances/coi-box'])
      : path === '/1.0/instances/coi-box' ? INSTANCE
      : path === '/1.0/storage-pools' ? ['/1.0/storage-pools/default']
      : path === '/1.0/storage-pools/default/volumes' ? [{ name: 'coi-box/s1', type: 'container', description: 'before the upgrade' }]
      : null;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'sync', status_code: 200, metadata }));
  });
  const path = join(mkdtempSync(join(tmpdir(), 'coi-fake-incus-')), 'unix.socket');
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const LISTED = { 'coi-box': [{ name: 's1', created_at: '2026-01-02T00:00:00Z', expires_at: null, stateful: false, size: 4096, description: 'before the upgrade' }] };

describe('the listing request sent before the CLI loads', () => {
  it('is asked once and its answer is what the command lists', async () => {
    const daemon = await fakeDaemon();
    const run = await cliProcess(['snapshot', 'list', '--all', '--format', 'json'], { INCUS_SOCKET: daemon.path, COI_CONTAINER_PREFIX: 'coi-' });
    await daemon.close();
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(LISTED);
    expect(daemon.requests.sort()).toEqual(['GET /1.0/instances?recursion=2', 'GET /1.0/storage-pools', 'GET /1.0/storage-pools/default/volumes?recursion=1']);
  });

  it.each([[[]], [['--format', 'json']]])('lists without descriptions where the pools are refused, asking nothing twice (%j)', async (format: string[]) => {
    const daemon = await fakeDaemon(true);
    const run = await cliProcess(['snapshot', 'list', '--all', ...format], { INCUS_SOCKET: daemon.path, COI_CONTAINER_PREFIX: 'coi-' });
    await daemon.close();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    if (format.length > 0) expect(JSON.parse(run.stdout)).toEqual({ 'coi-box': [{ ...LISTED['coi-box'][0], description: '' }] });
    else expect(run.stdout).toContain('s1');
    expect(daemon.requests.sort()).toEqual(['GET /1.0/instances?recursion=2', 'GET /1.0/storage-pools']);
  });

  it('sets a hosts.json the registry cannot read aside, with its warning, before a JSON listing', async () => {
    const daemon = await fakeDaemon();
    const config = mkdtempSync(join(tmpdir(), 'coi-early-config-'));
    writeFileSync(join(config, 'hosts.json'), JSON.stringify({ version: 1, hosts: [{ name: 'local', kind: 'local', colour: 'red' }] }));
    const run = await cliProcess(['snapshot', 'list', '--all', '--format', 'json'], { INCUS_SOCKET: daemon.path, COI_CONTAINER_PREFIX: 'coi-', COI_DESKTOP_CONFIG_DIR: config });
    await daemon.close();
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Warning: .*hosts\.json could not be read .*it was kept as .*hosts\.json\.corrupt-/);
    expect(JSON.parse(run.stdout)).toEqual(LISTED);
    expect(existsSync(join(config, 'hosts.json'))).toBe(false);
    expect(daemon.requests.filter((line) => line.startsWith('GET /1.0/instances'))).toEqual(['GET /1.0/instances?recursion=2']);
  });

  it("is asked in the local host's project from hosts.json, once", async () => {
    const daemon = await fakeDaemon();
    const config = mkdtempSync(join(tmpdir(), 'coi-early-config-'));
    writeFileSync(join(config, 'hosts.json'), JSON.stringify({ version: 1, hosts: [{ name: 'local', kind: 'local', project: 'team-a' }] }));
    const run = await cliProcess(['snapshot', 'list', '-a', '--host', 'local', '--format', 'json'], { INCUS_SOCKET: daemon.path, COI_CONTAINER_PREFIX: 'coi-', COI_DESKTOP_CONFIG_DIR: config });
    await daemon.close();
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(LISTED);
    expect(daemon.requests.filter((line) => line.startsWith('GET /1.0/instances'))).toEqual(['GET /1.0/instances?recursion=2&project=team-a']);
  });

  it("a local diff asks the instances' names and its container before the CLI loads, each once", async () => {
    const daemon = await fakeDaemon();
    const config = mkdtempSync(join(tmpdir(), 'coi-early-config-'));
    const run = await cliProcess(['snapshot', 'diff', 'no-such', '-c', 'coi-box'], { INCUS_SOCKET: daemon.path, COI_DESKTOP_CONFIG_DIR: config });
    await daemon.close();
    expect(run.stderr).toBe("Error: snapshot 'no-such' not found for container 'coi-box' (it has 1 snapshot: s1)\n");
    expect(run.code).toBe(1);
    expect(daemon.requests.sort()).toEqual(['GET /1.0/instances', 'GET /1.0/instances/coi-box?recursion=1']);
  });

  it.each([[[]], [['--format', 'json']]])('gives up on a daemon that accepts and stays silent, with the usual message (%j)', async (format: string[]) => {
    const stuck = await silentSocket();
    const run = await cliProcess(['snapshot', 'list', '--all', ...format], { INCUS_SOCKET: stuck.path, COI_DESKTOP_REQUEST_TIMEOUT_MS: '300' });
    await stuck.close();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`Error: Incus at ${stuck.path} accepted the connection but did not answer GET /1.0/instances?recursion=2 within 0.3 s: is the daemon stuck? Check it with 'incus info' and restart it if that hangs too; set COI_DESKTOP_REQUEST_TIMEOUT_MS to wait longer\n`);
  });

  it.each([[[]], [['--format', 'json']]])('is abandoned at the first Ctrl-C, exiting 130 (%j)', async (format: string[]) => {
    const stuck = await silentSocket();
    const child = spawnCli(['snapshot', 'list', '--all', ...format], { INCUS_SOCKET: stuck.path });
    const done = exited(child);
    await stuck.requested; // written as soon as the connection opened
    const started = Date.now();
    child.kill('SIGINT');
    const run = await done;
    await stuck.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`Interrupted while waiting for Incus at ${stuck.path} to answer GET /1.0/instances?recursion=2`);
  });

  it('does not keep a command that ended another way waiting for its answer', async () => {
    const stuck = await silentSocket();
    const started = Date.now();
    const run = await cliProcess(['snapshot', 'list', '--all', '--format', 'yaml'], { INCUS_SOCKET: stuck.path, COI_DESKTOP_REQUEST_TIMEOUT_MS: '20000' });
    await stuck.close();
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/argument 'yaml' is invalid/);
    expect(Date.now() - started).toBeLessThan(10_000); // not the 20 s the unanswered request may wait
  });

  it.each([[[]], [['--format', 'json']]])('says there is no daemon when the socket is missing (%j)', async (format: string[]) => {
    const missing = join(mkdtempSync(join(tmpdir(), 'coi-nosock-')), 'unix.socket');
    const run = await cliProcess(['snapshot', 'list', '--all', ...format], { INCUS_SOCKET: missing });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`Error: cannot reach Incus at ${missing}: no Incus socket there: is Incus installed and its daemon running?\n`);
  });

  it('prints, from the real daemon, the JSON the full CLI prints (descriptions, expiry, newest first)', async () => {
    const prefix = `${testName('early')}-`;
    const name = await fixtures.launch(`${prefix}1`, { stopped: true });
    expect((await cli(['snapshot', 'create', 'first', '-c', name, '--expires-at', '2099-01-01T00:00:00Z'])).code).toBe(0);
    expect((await cli(['snapshot', 'create', 'second', '-c', name])).code).toBe(0);
    expect((await cli(['snapshot', 'describe', 'second', 'after the upgrade', '-c', name])).code).toBe(0);
    const env = { COI_CONTAINER_PREFIX: prefix };
    const early = await cliProcess(['snapshot', 'list', '--all', '--format', 'json'], env);
    const full = await cli(['snapshot', 'list', '--all', '--format', 'json'], { env });
    expect(early.code).toBe(0);
    expect(early.stdout).toBe(full.stdout);
    const listed = JSON.parse(early.stdout) as Record<string, { name: string; description: string; expires_at: string | null }[]>;
    expect(listed[name]?.map((s) => [s.name, s.description, s.expires_at?.slice(0, 4) ?? null])).toEqual([['second', 'after the upgrade', null], ['first', '', '2099']]);
  });
});

const fixtures = new Fixtures();
afterAll(() => fixtures.cleanup());

describe("a local diff's listing, sent before the CLI loads", () => {
  /** A running container with snapshot `s1`, and a proxy in front of the daemon that notes every request. */
  async function container() {
    requireDaemon();
    const name = await fixtures.launch(testName('early-diff'));
    expect((await cli(['snapshot', 'create', 's1', '-c', name], { env: { COI_DESKTOP_SNAPSHOT_RECORD: 'off' } })).code).toBe(0);
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    return { name, proxy, env: { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'coi-early-diff-')) } };
  }

  const execs = (proxy: SocketProxy, name: string) => proxy.requests.filter((line) => line === `POST /1.0/instances/${name}/exec`);
  const outputLogs = async (name: string) => JSON.parse(await incus('query', `/1.0/instances/${name}/logs/exec-output`)) as string[];

  it('is the one the diff reads: the container is listed once, and its output logs removed', async () => {
    const { name, proxy, env } = await container();
    await writeFile(name, '/root/new.txt', 'changed\n');
    const run = await cliProcess(['snapshot', 'diff', 's1', '-c', name, '--format', 'json'], env);
    await proxy.cut();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { added: { path: string }[] }).added.map((entry) => entry.path)).toContain('/root/new.txt');
    expect(execs(proxy, name)).toHaveLength(1);
    expect(await outputLogs(name)).toEqual([]);
  });

  it('is waited for and its output logs removed when the diff does not take it (a wrong command line)', async () => {
    const { name, proxy, env } = await container();
    const run = await cliProcess(['snapshot', 'diff', 's1', '-c', name, '--format', 'yaml'], env);
    await proxy.cut();
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/argument 'yaml' is invalid/);
    expect(execs(proxy, name)).toHaveLength(1);
    expect(await outputLogs(name)).toEqual([]);
  });
});

describe('what the listing cannot do is said, never printed as an empty listing', () => {
  it.each([[[]], [['--format', 'json']]])('a project in hosts.json that the daemon does not have (%j)', async (format: string[]) => {
    requireDaemon();
    const config = mkdtempSync(join(tmpdir(), 'coi-early-config-'));
    const project = testName('no-such-project');
    writeFileSync(join(config, 'hosts.json'), JSON.stringify({ version: 1, hosts: [{ name: 'local', kind: 'local', project }] }));
    const run = await cliProcess(['snapshot', 'list', '--all', ...format], { COI_DESKTOP_CONFIG_DIR: config });
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`the Incus project '${project}' does not exist on this host`);
    expect(run.code).toBe(1);
  });

  it('a project the daemon does not have: a snapshot command names it (not "container not found"), and the overview shows the host with that error, not as empty', async () => {
    requireDaemon();
    const project = testName('no-such-project');
    const config = mkdtempSync(join(tmpdir(), 'coi-early-config-'));
    writeFileSync(join(config, 'hosts.json'), JSON.stringify({ version: 1, hosts: [{ name: 'local', kind: 'local', project }] }));
    for (const args of [['snapshot', 'create', '-c', 'anything'], ['snapshot', 'list', '-c', 'anything']]) {
      const run = await cli(args, { env: { COI_DESKTOP_CONFIG_DIR: config } });
      expect(run.stderr).toContain(`the Incus project '${project}' does not exist on this host`);
      expect(run.code).toBe(1);
    }
    const { core } = await openCore(project);
    try {
      for (const snapshots of [false, true]) {
        const [local] = await core.handlers['containers.overview']({ snapshots });
        // The daemon answers: the host is online, its read failed (a status that swung at each read flickered).
        expect(local).toMatchObject({ status: { state: 'online' }, containers: [], error: { code: 'not-found', message: expect.stringContaining(`the Incus project '${project}' does not exist`) } });
      }
    } finally {
      await core.close();
    }
  });

  it.each([[['--version']], [['snapshot', 'list', '--all', '--format', 'json']]])('output that cannot be written (stdout is /dev/full): exit code 1 and one line saying so (%j)', async (args: string[]) => {
    requireDaemon();
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [BUILT_BIN, ...args], { stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    const run = await exited(child as unknown as ChildProcessByStdio<null, Readable, Readable>);
    expect(run.stderr).toBe('Error: could not write to standard output (ENOSPC); what the command did before that stands, its output is incomplete\n');
    expect(run.code).toBe(1);
  });
});
