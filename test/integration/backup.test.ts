import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lock } from 'proper-lockfile';
import type { CoiCore } from '../../src/main/app/core';
import { listServerBackups } from '../../src/main/backups/export';
import { exportToFile, importFromFile } from '../../src/main/backups/files';
import type { IncusClient } from '../../src/main/incus/client';
import type { SshHostConfig } from '../../src/shared/hosts';
import { cli, exited, spawnCli } from '../helpers/cli';
import { Fixtures, incus, localClient, readFile, requireDaemon, testName, writeFile } from '../helpers/incus';
import { FaultyListener, forwardTo, requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';
import { openCore, webFace } from '../helpers/transports';
import type { Transfer } from '../../src/shared/model';
import type { CoiApi } from '../../src/shared/contract';

const fixtures = new Fixtures();
const local = localClient();
const cores: CoiCore[] = [];
const servers: TestSshd[] = [];
const relays: FaultyListener[] = [];
let container: string;
/** A container whose backup (24 MB of random data) is far bigger than what sockets hold in flight. */
let big: string;

/** A gzipped tarball of `entries` ([path, content]), in that order. */
async function gzippedTar(entries: [string, string][]): Promise<Buffer> {
  const tar = pack();
  for (const [name, content] of entries) tar.entry({ name }, content);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar.pipe(createGzip())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const freshDir = () => mkdtempSync(join(tmpdir(), 'coi-backup-'));

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  // A running container whose /marker says "at-s1" in snapshot s1 and "now" at present.
  container = await fixtures.launch(testName('backup'));
  await writeFile(container, '/marker', 'at-s1');
  await incus('snapshot', 'create', container, 's1');
  await writeFile(container, '/marker', 'now');
  big = await fixtures.launch(testName('backup-big'));
  await incus('exec', big, '--', 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1048576', 'count=24');
}, 60_000);

afterAll(async () => {
  for (const core of cores) await core.close();
  for (const relay of relays) await relay.close();
  for (const server of servers) await server.stop();
  await local.close();
  await fixtures.cleanup();
});

/** Instances whose name says they are an export's temporary copy of `of`. */
async function temporaryCopies(of: string): Promise<string[]> {
  const names = (await incus('list', '--format', 'csv', '-c', 'n')).split('\n');
  return names.filter((name) => name.startsWith(`coi-export-${of}`));
}

/** Resolves once an export into `dir` has begun its download: its hidden .partial file exists. */
function downloadBegins(dir: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const watcher = watch(dir, () => {
      if (!readdirSync(dir).some((file) => file.endsWith('.partial'))) return;
      watcher.close();
      resolve();
    });
  });
}

/** An SSH host `box` (a real sshd of this file's own) reached through a relay the test can cut. */
async function sshClient(): Promise<{ client: IncusClient; relay: FaultyListener }> {
  const { sshd, key } = await sshdWithKey('backup');
  servers.push(sshd);
  const relay = await FaultyListener.start(forwardTo(sshd.port));
  relays.push(relay);
  const { core, home } = await openCore();
  cores.push(core);
  writeFileSync(join(home.sshDir, 'known_hosts'), sshd.knownHostsLine().replace(`]:${sshd.port} `, `]:${relay.port} `) + '\n');
  const host: SshHostConfig = { kind: 'ssh', name: 'box', user: 'root', host: '127.0.0.1', port: relay.port, identityFiles: [key.file] };
  await core.registry.add(host);
  return { client: core.pool.client('box'), relay };
}

describe('backup export and import', () => {
  it('exports a container to a file, prints its SHA-256, leaves the container and the server clean; the file imports under a new name with the marker', async () => {
    const dir = freshDir();
    const exported = await cli(['backup', 'export', '-c', container], { cwd: dir });
    expect(exported.stderr).toContain(`Exported '${container}'`);
    expect(exported.code).toBe(0);
    const [file] = readdirSync(dir);
    expect(file).toMatch(new RegExp(`^${container}-\\d{8}-\\d{6}\\.tar\\.gz$`));
    expect(exported.stdout).toBe(`${sha256(join(dir, file!))}  ${join(dir, file!)}\n`);
    expect(await listServerBackups(local, container)).toEqual([]);
    expect(await readFile(container, '/marker')).toBe('now');

    const copy = testName('imported');
    fixtures.adopt(copy);
    const imported = await cli(['backup', 'import', join(dir, file!), '--name', copy]);
    expect(imported.stderr).toContain(`as '${copy}'`);
    expect(imported.code).toBe(0);
    expect(await readFile(copy, '/marker')).toBe('now');
    expect(await incus('snapshot', 'list', copy, '--format', 'csv', '-c', 'n')).toContain('s1');
  }, 60_000);

  it('refuses to import under a name that is taken, before sending anything', async () => {
    const dir = freshDir();
    const file = join(dir, 'b.tar.gz');
    expect((await cli(['backup', 'export', '-c', container, '--instance-only', '-o', file])).code).toBe(0);
    const run = await cli(['backup', 'import', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`an instance named '${container}' already exists: import it under another name with --name NEW`);
  }, 30_000);

  it("--snapshot exports the snapshot's content, not the current one, and removes its temporary copy", async () => {
    const dir = freshDir();
    const run = await cli(['backup', 'export', '-c', container, '--snapshot', 's1'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(readdirSync(dir)).toEqual([`${container}-s1.tar.gz`]);
    expect(await temporaryCopies(container)).toEqual([]);

    const copy = testName('at-s1');
    fixtures.adopt(copy);
    expect((await cli(['backup', 'import', join(dir, `${container}-s1.tar.gz`), '--name', copy])).code).toBe(0);
    expect(await readFile(copy, '/marker')).toBe('at-s1');
  }, 60_000);

  it('stopped mid-download (abort) leaves no file, no server-side backup and no temporary copy', async () => {
    const dir = freshDir();
    const stop = new AbortController();
    let sawBytes = false;
    const exporting = exportToFile(local, { container, snapshot: 's1' }, join(dir, 'x.tar.gz'), {
      signal: stop.signal,
      onProgress: () => {
        sawBytes = true;
        stop.abort();
      },
    });
    await expect(exporting).rejects.toThrow('Interrupted: the export was stopped; no file was written and nothing was left on the server');
    expect(sawBytes).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(await listServerBackups(local, container)).toEqual([]);
    expect(await temporaryCopies(container)).toEqual([]);
  }, 30_000);

  it('Ctrl-C during the download ends the command with 130 and leaves no file, no server-side backup', async () => {
    const dir = freshDir();
    const downloading = downloadBegins(dir);
    const child = spawnCli(['backup', 'export', '-c', big, '-o', join(dir, 'big.tar.gz')], { COI_CONTAINER: '' });
    const ended = exited(child);
    await downloading;
    child.kill('SIGINT');
    const { code, stderr } = await ended;
    expect(stderr).toContain('Interrupted: the export was stopped; no file was written and nothing was left on the server');
    expect(code).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
    expect(await listServerBackups(local, big)).toEqual([]);
  }, 30_000);

  it('a --snapshot export killed with SIGKILL mid-download leaves its temporary copy and its unfinished file only until the next backup command, which removes them', async () => {
    const dir = freshDir();
    await incus('snapshot', 'create', big, 'k');
    const downloading = downloadBegins(dir);
    const child = spawnCli(['backup', 'export', '-c', big, '--snapshot', 'k', '-o', join(dir, 'big.tar.gz')], { COI_CONTAINER: '' });
    const ended = exited(child);
    await downloading;
    child.kill('SIGKILL');
    expect((await ended).code).toBe(137);
    const left = await temporaryCopies(big);
    for (const name of left) fixtures.adopt(name);
    expect(left).toHaveLength(1); // what a killed process cannot remove
    const [unfinished, lockOfIt] = readdirSync(dir).sort();
    expect(unfinished).toMatch(/^\.big\.tar\.gz\.[0-9a-f]{8}\.partial$/);
    expect(lockOfIt).toBe(`${unfinished}.lock`);
    // Beside it: a file of the user's named alike but without a lock, and an export still running
    // elsewhere (another pid namespace, another computer on a shared folder): its lock is fresh.
    writeFileSync(join(dir, '.notes.0123abcd.partial'), 'mine');
    const live = join(dir, '.other.tar.gz.89abcdef.partial');
    writeFileSync(live, 'being written');
    const releaseLive = await lock(live, { realpath: false, lockfilePath: `${live}.lock`, stale: 30_000, update: 5_000 });
    // The killed export's lock is no longer refreshed: as it is once its 30 s have passed.
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, lockOfIt!), past, past);

    const next = await cli(['backup', 'export', '-c', container, '--instance-only', '-o', join(dir, 'next.tar.gz')]);
    await releaseLive();
    expect(next.stderr).toContain(`Removed the temporary container '${left[0]}' that an interrupted export left on local`);
    expect(next.stderr).toContain(`Removed ${join(dir, unfinished!)}, the unfinished file of an export that was killed`);
    expect(next.code).toBe(0);
    expect(await temporaryCopies(big)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['.notes.0123abcd.partial', '.other.tar.gz.89abcdef.partial', 'next.tar.gz']);
  }, 60_000);

  it("refuses a backup that lists a snapshot named '..' before sending it (Incus 6.0.4 would write it outside the container's snapshots)", async () => {
    // Made with tar-stream as Incus lays a backup out; a daemon of the test's own logs what reaches it.
    const file = join(freshDir(), 'dotdot.tar.gz');
    writeFileSync(file, await gzippedTar([
      ['backup/index.yaml', 'name: dotdot\nbackend: dir\npool: default\ntype: container\nsnapshots:\n- good\n- ..\n'],
      ['backup/container/rootfs/marker', 'x'],
      ['backup/snapshots/../rootfs/marker', 'x'],
    ]));
    const requests: string[] = [];
    const socket = join(freshDir(), 'incus.socket');
    const daemon = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      request.resume();
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata: [] }));
    });
    await new Promise<void>((resolve) => daemon.listen(socket, resolve));
    const run = await cli(['backup', 'import', file, '--name', testName('dotdot')], { env: { INCUS_SOCKET: socket } });
    daemon.close();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: the backup holds a snapshot named '\.\.': Incus would write it outside the container's own snapshots .*nothing was sent\)$/m);
    expect(requests.filter((line) => line.startsWith('POST'))).toEqual([]);
  }, 30_000);

  it('a file the daemon cannot read fails with its reason and creates nothing', async () => {
    const dir = freshDir();
    const file = join(dir, 'corrupt.tar.gz');
    writeFileSync(file, Buffer.alloc(64 * 1024, 7));
    const name = testName('corrupt');
    fixtures.adopt(name);
    const run = await cli(['backup', 'import', file, '--name', name]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: Incus could not import the backup: .*(compression|gzip|tar)/im);
    expect(await incus('list', `^${name}$`, '--format', 'csv', '-c', 'n')).toBe('');
  }, 30_000);
});

/** The transfer events of `api` until one ends. */
function transferEnd(api: CoiApi): Promise<Transfer> {
  return new Promise((resolve) => {
    const stop = api.on((event) => {
      if (event.type !== 'transfer' || event.transfer.state === 'running') return;
      stop();
      resolve(event.transfer);
    });
  });
}

describe('backup in web mode (browser download and upload by one-time address)', () => {
  it('downloads the backup whose SHA-256 the transfer reports, uploads it back as a new container, and refuses a used address', async () => {
    const { core } = await openCore();
    cores.push(core);
    const face = await webFace(core);
    const base = face.server.url.replace(/\/$/, '');
    const offered = await face.api['backups.export']({ host: 'local', container, instanceOnly: true });
    if (!offered.ok || offered.value.kind !== 'download') throw new Error(`no download offered: ${JSON.stringify(offered)}`);
    const ended = transferEnd(face.api);
    const response = await fetch(base + offered.value.url);
    expect(response.headers.get('content-disposition')).toMatch(new RegExp(`attachment; filename="${container}-\\d{8}-\\d{6}\\.tar\\.gz"`));
    const bytes = Buffer.from(await response.arrayBuffer());
    const transfer = await ended;
    expect(transfer).toMatchObject({ state: 'done', kind: 'export', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await listServerBackups(local, container)).toEqual([]);
    expect((await fetch(base + offered.value.url)).status).toBe(404);

    const copy = testName('uploaded');
    fixtures.adopt(copy);
    const upload = await face.api['backups.import']({ host: 'local', name: copy, upload: { fileName: 'b.tar.gz', size: bytes.length } });
    if (!upload.ok || upload.value.kind !== 'upload') throw new Error('no upload offered');
    const answer = (await (await fetch(base + upload.value.url, { method: 'POST', body: bytes })).json()) as { ok: boolean; value?: Transfer };
    expect(answer).toMatchObject({ ok: true, value: { state: 'done', container: copy } });
    expect(await readFile(copy, '/marker')).toBe('now');
    await face.close();
  }, 60_000);

  it('Cancel in the drawer stops a download mid-stream and leaves nothing on the server', async () => {
    const { core } = await openCore();
    cores.push(core);
    const face = await webFace(core);
    const offered = await face.api['backups.export']({ host: 'local', container: big });
    if (!offered.ok || offered.value.kind !== 'download') throw new Error('no download offered');
    const cancelled = new Promise<void>((resolve) => {
      const stop = face.api.on((event) => {
        // The transfer's app job in the drawer, once bytes flow: its Cancel.
        if (event.type !== 'operation' || !/ of .* · /.test(event.operation.progress ?? '')) return;
        stop();
        void face.api['operations.cancel']({ host: 'local', id: event.operation.id }).then(() => resolve());
      });
    });
    const ended = transferEnd(face.api);
    const response = await fetch(face.server.url.replace(/\/$/, '') + offered.value.url);
    await cancelled;
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(await ended).toMatchObject({ state: 'cancelled', error: expect.stringContaining('Interrupted: the export was stopped; no file was written and nothing was left on the server') });
    expect(await listServerBackups(local, big)).toEqual([]);
    await face.close();
  }, 30_000);
});

describe('backup over SSH', () => {
  it('exports and imports through the SSH tunnel', async () => {
    const { client } = await sshClient();
    const dir = freshDir();
    const result = await exportToFile(client, { container, instanceOnly: true }, join(dir, 'ssh.tar.gz'));
    expect(result.sha256).toBe(sha256(join(dir, 'ssh.tar.gz')));
    expect(await listServerBackups(local, container)).toEqual([]);
    const copy = testName('via-ssh');
    fixtures.adopt(copy);
    expect(await importFromFile(client, join(dir, 'ssh.tar.gz'), copy)).toMatchObject({ name: copy });
    expect(await readFile(copy, '/marker')).toBe('now');
  }, 60_000);

  it('a connection cut mid-download is reported as lost, leaves no file, and the server-side backup is removed once it is back', async () => {
    const { client, relay } = await sshClient();
    const dir = freshDir();
    let cut = false;
    const exporting = exportToFile(client, { container: big }, join(dir, 'cut.tar.gz'), {
      onProgress: () => {
        if (!cut) relay.dropConnections();
        cut = true;
      },
    });
    await expect(exporting).rejects.toThrow(/the connection to box was lost|the connection was cut/);
    expect(cut).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(await listServerBackups(local, big)).toEqual([]);
  }, 60_000);
});
