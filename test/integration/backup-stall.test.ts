import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { listServerBackups } from '../../src/main/backups/export';
import { exportToFile, importFromFile } from '../../src/main/backups/files';
import { progressLine } from '../../src/main/backups/progress';
import { Transfers } from '../../src/main/backups/transfers';
import { AppJobs } from '../../src/main/app/jobs';
import type { Transfer } from '../../src/shared/model';
import type { IncusClient } from '../../src/main/incus/client';
import { listInstanceNames } from '../../src/main/incus/instances';
import type { SshHostConfig } from '../../src/shared/hosts';
import { exited, spawnCli } from '../helpers/cli';
import { FreezingRelay } from '../helpers/freezing-relay';
import { Fixtures, incus, localClient, requireDaemon, testName } from '../helpers/incus';
import { requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';
import { openCore } from '../helpers/transports';

/**
 * A transfer whose transport stalls (the connection stays open, nothing moves: a frozen relay, an
 * sshd session stopped with SIGSTOP) ends within a bounded time, says what stalled and how far it got,
 * and never reports success; an import looks up whether Incus created the instance.
 */
const fixtures = new Fixtures();
const local = localClient();
const cores: CoiCore[] = [];
const servers: TestSshd[] = [];
const frozen: number[] = [];
const relays: FreezingRelay[] = [];
/** A container whose backup (24 MB of random data) is far bigger than what sockets and SSH windows hold in flight. */
let big: string;
let backupFile: string;
const freshDir = () => mkdtempSync(join(tmpdir(), 'coi-stall-'));
/** The time limit the tests give a request (COI_DESKTOP_REQUEST_TIMEOUT_MS). */
const LIMIT_MS = 3_000;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  big = await fixtures.launch(testName('stall'));
  await incus('exec', big, '--', 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1048576', 'count=24');
  backupFile = join(freshDir(), 'big.tar.gz');
  await exportToFile(local, { container: big, instanceOnly: true }, backupFile);
}, 90_000);

afterAll(async () => {
  signal(frozen, 'SIGCONT');
  for (const relay of relays) await relay.close();
  for (const core of cores) await core.close();
  for (const server of servers) await server.stop();
  await local.close();
  await fixtures.cleanup();
});

/** A relay closed after the file's tests. */
function newRelay(): FreezingRelay {
  const relay = new FreezingRelay();
  relays.push(relay);
  return relay;
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // ended already
    }
  }
}

/** The processes serving `sshd`'s connections (not the listener): what SIGSTOP freezes mid-transfer. */
function sessionPids(sshd: TestSshd): number[] {
  const all = [Number(readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8'))];
  for (let index = 0; index < all.length; index++) {
    let children = '';
    try {
      children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(all[index])], { encoding: 'utf8' });
    } catch {
      // none
    }
    all.push(...children.split('\n').map((line) => Number(line.trim())).filter((pid) => pid > 0));
  }
  return all.slice(1);
}

/** An SSH host `box` served by a real sshd of this file's own, connected already (its session is running). */
async function sshClient(): Promise<{ client: IncusClient; sshd: TestSshd }> {
  const { sshd, key } = await sshdWithKey('stall');
  servers.push(sshd);
  const { core, home } = await openCore();
  cores.push(core);
  writeFileSync(join(home.sshDir, 'known_hosts'), sshd.knownHostsLine() + '\n');
  const host: SshHostConfig = { kind: 'ssh', name: 'box', user: 'root', host: '127.0.0.1', port: sshd.port, identityFiles: [key.file] };
  await core.registry.add(host);
  const client = core.pool.client('box');
  await listInstanceNames(client);
  return { client, sshd };
}

describe('a backup transfer whose transport stalls', () => {
  it('an import whose socket stalls mid-upload shows it in its progress, fails within the time limit, says how far it got, and that Incus has no such instance (looked up)', async () => {
    const relay = newRelay();
    const client = await relay.start(LIMIT_MS);
    const name = testName('stall-imp');
    fixtures.adopt(name);
    let stalledAt = 0;
    const lines: string[] = [];
    const importing = importFromFile(client, backupFile, name, {
      onProgress: (progress) => {
        lines.push(progressLine(progress));
        if (stalledAt > 0) return;
        stalledAt = Date.now();
        relay.freezeTransfer();
      },
    });
    await expect(importing).rejects.toThrow(
      new RegExp(`the upload to .* stalled after [0-9.]+ (KiB|MiB) of [0-9.]+ MiB: nothing moved for 3 s .*; nothing was imported: Incus has no instance '${name}' \\(looked up once the host answered again\\); import the file again`),
    );
    expect(Date.now() - stalledAt).toBeLessThan(LIMIT_MS + 5_000);
    expect(lines.at(-1)).toMatch(/^[0-9.]+ (KiB|MiB) of [0-9.]+ MiB \([0-9]+%\) · [0-9.]+ (B|KiB|MiB)\/s · nothing moved for [0-9]+ s$/);
    const count = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(lines.length).toBe(count); // no report once the import has ended
    expect(await listInstanceNames(local)).not.toContain(name);
  }, 30_000);

  it('the CLI: Ctrl-C during a stalled import ends with 130 and says nothing was imported (only part of the file was sent)', async () => {
    const relay = newRelay();
    await relay.start(LIMIT_MS);
    const name = testName('stall-cli');
    fixtures.adopt(name);
    const frozenNow = relay.frozenAfter(2 << 20);
    const child = spawnCli(['backup', 'import', backupFile, '--name', name], { INCUS_SOCKET: relay.path, COI_DESKTOP_REQUEST_TIMEOUT_MS: '60000' });
    const ended = exited(child);
    await frozenNow;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    child.kill('SIGINT');
    const { code, stderr } = await ended;
    expect(stderr).toMatch(/\nInterrupted: the import was stopped after [0-9.]+ MiB of [0-9.]+ MiB had been sent; Incus never had the whole file, so nothing was imported\n$/);
    expect(code).toBe(130);
    expect(await listInstanceNames(local)).not.toContain(name);
  }, 30_000);

  it('an export whose socket stalls mid-download fails within the time limit, says how far it got, leaves no file', async () => {
    const relay = newRelay();
    const client = await relay.start(LIMIT_MS);
    const dir = freshDir();
    let stalledAt = 0;
    const exporting = exportToFile(client, { container: big, instanceOnly: true }, join(dir, 'x.tar.gz'), {
      onProgress: () => {
        if (stalledAt > 0) return;
        stalledAt = Date.now();
        relay.freezeTransfer();
      },
    });
    await expect(exporting).rejects.toThrow(/^the download from .* stalled after [0-9.]+ (KiB|MiB) of [0-9.]+ MiB: nothing moved for 3 s .*; nothing was saved$/);
    // The stall is found after LIMIT_MS; the error comes once the server's backup is deleted, which a
    // daemon busy with a whole suite took 10 s to do (a clean CI run); a stall never found would
    // hang until the test's 30 s.
    expect(Date.now() - stalledAt).toBeLessThan(LIMIT_MS + 15_000);
    expect(readdirSync(dir)).toEqual([]);
    expect(await listServerBackups(local, big)).toEqual([]);
  }, 30_000);

  it("web mode: a browser download whose socket stalls ends as failed in the drawer with the CLI's words (how far it got, nothing moved for N s)", async () => {
    const relay = newRelay();
    const client = await relay.start(LIMIT_MS);
    const seen: Transfer[] = [];
    const transfers = new Transfers(() => client, new AppJobs(() => undefined), (transfer) => seen.push(transfer));
    const ticket = transfers.offerDownload('local', { container: big, instanceOnly: true }).split('/').at(-1)!;
    let frozenOnce = false;
    const browser = Object.assign(
      new Writable({
        write(_chunk, _encoding, done) {
          if (!frozenOnce) relay.freezeTransfer();
          frozenOnce = true;
          done();
        },
      }),
      { headersSent: false, writeHead(this: { headersSent: boolean }) { this.headersSent = true; } },
    );
    await transfers.download(ticket, browser);
    expect(browser.destroyed).toBe(true); // the browser sees the download fail
    const ended = seen.at(-1)!;
    expect(ended.state).toBe('failed');
    expect(ended.error).toMatch(/the download from .* stalled after [0-9.]+ (KiB|MiB) of [0-9.]+ MiB: nothing moved for 3 s \(the connection stayed open; set COI_DESKTOP_REQUEST_TIMEOUT_MS to wait longer on a slow link\)/);
    expect(await listServerBackups(local, big)).toEqual([]);
  }, 30_000);

  it('an import over SSH whose sshd session is frozen (SIGSTOP) mid-upload is reported as lost, and says Incus has no such instance (looked up after reconnecting)', async () => {
    const { client, sshd } = await sshClient();
    const sessions = sessionPids(sshd);
    expect(sessions.length).toBeGreaterThan(0);
    const name = testName('stall-ssh');
    fixtures.adopt(name);
    let stalledAt = 0;
    try {
      const importing = importFromFile(client, backupFile, name, {
        onProgress: () => {
          if (stalledAt > 0) return;
          stalledAt = Date.now();
          frozen.push(...sessions);
          signal(sessions, 'SIGSTOP');
        },
      });
      await expect(importing).rejects.toThrow(
        new RegExp(`^the connection to box was lost .*; the upload had reached [0-9.]+ (KiB|MiB) of [0-9.]+ MiB; nothing was imported: Incus has no instance '${name}' \\(looked up once the host answered again\\); import the file again$`),
      );
    } finally {
      signal(sessions, 'SIGCONT');
    }
    expect(Date.now() - stalledAt).toBeLessThan(25_000);
    expect(await listInstanceNames(local)).not.toContain(name);
  }, 30_000);

  it('an export over SSH whose sshd session is frozen (SIGSTOP) mid-download is reported as lost, leaves no file and no server-side backup', async () => {
    const { client, sshd } = await sshClient();
    const sessions = sessionPids(sshd);
    const dir = freshDir();
    try {
      const exporting = exportToFile(client, { container: big, instanceOnly: true }, join(dir, 'x.tar.gz'), {
        onProgress: () => {
          if (frozen.includes(sessions[0]!)) return;
          frozen.push(...sessions);
          signal(sessions, 'SIGSTOP');
        },
      });
      await expect(exporting).rejects.toThrow(/^the connection to box was lost .*; the download had reached [0-9.]+ (KiB|MiB) of [0-9.]+ MiB; nothing was saved$/);
    } finally {
      signal(sessions, 'SIGCONT');
    }
    expect(readdirSync(dir)).toEqual([]);
    expect(await listServerBackups(local, big)).toEqual([]);
  }, 30_000);
});
