import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostStatus } from '../../src/shared/hosts';
import type { HostOverview } from '../../src/shared/model';
import type { HostPool } from '../../src/main/hosts/pool';
import { IncusInterruptedError } from '../../src/main/incus/errors';
import { listInstanceNames } from '../../src/main/incus/instances';
import { knowHost, makePool, sshHost, tempHome } from '../helpers/hosts';
import { Fixtures, incus, requireDaemon, testName } from '../helpers/incus';
import { freePort, makeKey, requireSshd, TestNetns, TestSshd, type KeyPair } from '../helpers/sshd';

const run = promisify(execFile);
const fixtures = new Fixtures();
const pools: HostPool[] = [];
const servers: TestSshd[] = [];
const namespaces: TestNetns[] = [];
let dir: string;
let key: KeyPair;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  dir = mkdtempSync(join(tmpdir(), 'coi-sshhosts-'));
  key = await makeKey(dir, 'id_ed25519', 'ed25519');
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  for (const server of servers) await server.stop().catch(() => undefined);
  for (const netns of namespaces) await netns.destroy();
  await fixtures.cleanup();
});

async function server(name: string, options: ConstructorParameters<typeof Object>[0] = {}): Promise<TestSshd> {
  const started = await TestSshd.start(join(dir, name), options as Parameters<typeof TestSshd.start>[1]);
  started.authorize(key.publicKey);
  servers.push(started);
  return started;
}

async function pool(setup: Parameters<typeof makePool>[0]): Promise<HostPool> {
  const made = await makePool(setup);
  pools.push(made.pool);
  return made.pool;
}

describe('why a host cannot serve Incus, and the fix', () => {
  it('tells that sshd forbids stream-local forwarding', async () => {
    const closed = await server('nofwd', { config: ['AllowStreamLocalForwarding no'] });
    const home = tempHome();
    knowHost(home.sshDir, closed);
    const result = await (await pool({ home, hosts: [sshHost('box', closed, { identityFiles: [key.file] })] })).test('box');
    expect(result.status).toMatchObject({ state: 'forwarding-disabled', fix: 'AllowStreamLocalForwarding yes' });
    expect(result.error?.message).toMatch(/^sshd on box refuses to forward to the Incus socket \/var\/lib\/incus\/unix\.socket .*AllowStreamLocalForwarding yes/);
  });

  it('tells a user who may not use Incus to join incus-admin and reconnect', async () => {
    const user = `coit${Date.now() % 100_000}`;
    await run('useradd', ['-M', '-N', '-s', '/bin/sh', '-p', '*', user]);
    try {
      const open = await server('users');
      // sshd reads authorized_keys as the user: let them through the test's private folders.
      for (const path of [dir, open.dir]) chmodSync(path, 0o755);
      const home = tempHome();
      knowHost(home.sshDir, open);
      const result = await (await pool({ home, hosts: [sshHost('box', open, { user, identityFiles: [key.file] })] })).test('box');
      expect(result.status).toMatchObject({ state: 'permission-denied', fix: `sudo usermod -aG incus-admin ${user}` });
      expect(result.error?.message).toMatch(new RegExp(`^${user} on box may not use Incus: /var/lib/incus/unix.socket is not writable for them .*then reconnect`));
    } finally {
      await run('userdel', [user]).catch(() => undefined);
    }
  });

  it('tells that Incus is not running where the socket should be', async () => {
    const open = await server('nosocket');
    const home = tempHome();
    knowHost(home.sshDir, open);
    const host = sshHost('box', open, { identityFiles: [key.file], socketPath: '/run/coi-test-no-incus/unix.socket' });
    const result = await (await pool({ home, hosts: [host] })).test('box');
    expect(result.status).toMatchObject({ state: 'incus-missing', fix: 'sudo systemctl start incus' });
    expect(result.error?.message).toMatch(/Incus is installed on box but its daemon is not running \(no socket at \/run\/coi-test-no-incus\/unix\.socket\)/);
  });
});

describe('a dropped connection', () => {
  it('fails over to a new session when sshd restarts mid-operation, re-attaching the operation without repeating it', async () => {
    const flaky = await server('flaky');
    const home = tempHome();
    knowHost(home.sshDir, flaky);
    const remote = await pool({ home, hosts: [sshHost('box', flaky, { identityFiles: [key.file] })] });
    const statuses: HostStatus['state'][] = [];
    remote.on('status', (_host, status) => statuses.push(status.state));
    const name = await fixtures.launch(testName('reattach'));
    const client = remote.client('box');

    let restarted: Promise<void> | undefined;
    const body = { command: ['sh', '-c', 'echo ran >> /root/runs; sleep 3'], 'wait-for-websocket': false, interactive: false };
    const done = await client.run('POST', `/1.0/instances/${name}/exec`, body, {
      intervalSeconds: 1,
      onProgress: () => {
        restarted ??= flaky.restart();
      },
    });
    await restarted;
    expect(done.status).toBe('Success');
    expect(await incus('exec', name, '--', 'cat', '/root/runs')).toBe('ran\n');
    expect(statuses).toContain('offline');
    expect((await remote.test('box')).status.state).toBe('online');
  });

  it('waits cancelled over SSH: no error escapes from the closed channels, the other requests are answered, Incus answers others at once', async () => {
    const open = await server('cancels');
    const home = tempHome();
    knowHost(home.sshDir, open);
    const client = (await pool({ home, hosts: [sshHost('box', open, { identityFiles: [key.file] })] })).client('box');
    const name = await fixtures.launch(testName('sshcancel'));
    const body = { command: ['sleep', '30'], 'wait-for-websocket': false, interactive: false };
    // ssh2's channel.destroy() only asks sshd to close the channel: undici, seeing it not destroyed, could send
    // the next request on it, and when the close came failed a request already failed: a TypeError thrown from
    // the channel's 'close' event, an uncaught exception (the process ended).
    for (let round = 0; round < 5; round++) {
      const cancelled = await client.run('POST', `/1.0/instances/${name}/exec`, body, { signal: AbortSignal.timeout(1) }).catch((error: unknown) => error);
      expect(cancelled).toBeInstanceOf(IncusInterruptedError);
    }
    expect(await listInstanceNames(client)).toContain(name);
    const asked = Date.now();
    await incus('query', '/1.0');
    expect(Date.now() - asked).toBeLessThan(2_000);
  });

  it('says the connection is lost when the host stays away', async () => {
    const gone = await server('gone');
    const home = tempHome();
    knowHost(home.sshDir, gone);
    const remote = await pool({ home, hosts: [sshHost('box', gone, { identityFiles: [key.file] })] });
    expect((await remote.test('box')).status.state).toBe('online');
    const lost = new Promise<HostStatus>((resolve) => remote.once('status', (_host, status) => resolve(status)));
    await gone.stop();
    expect(await lost).toMatchObject({ state: 'offline', reason: 'the connection to box was lost', nextRetryAt: expect.any(String) });
    const result = await remote.test('box');
    expect(result.status).toMatchObject({ state: 'offline', reason: expect.stringMatching(/cannot reach SSH on 127\.0\.0\.1:\d+: connection refused/) });
  });
});

describe('many hosts', () => {
  let silent: Server;
  const held: Socket[] = [];
  afterAll(() => {
    held.forEach((socket) => socket.destroy());
    silent?.close();
  });

  it('returns each host as it answers; a host in another network namespace is one of them, and a silent host delays no one', async () => {
    const netns = await TestNetns.create(1);
    namespaces.push(netns);
    const far = await server('far', { address: netns.address, port: 22, netns: netns.name });
    const near = await server('near');
    silent = createServer((socket) => held.push(socket)); // accepts, then never says a word
    const silentPort = await freePort();
    await new Promise<void>((resolve) => silent.listen(silentPort, '127.0.0.1', resolve));

    const home = tempHome();
    knowHost(home.sshDir, far, near);
    const name = await fixtures.launch(testName('overview'), { stopped: true });
    await incus('snapshot', 'create', name, 'seen-everywhere');
    const hosts = [
      sshHost('far', far, { identityFiles: [key.file] }),
      sshHost('near', near, { identityFiles: [key.file] }),
      { kind: 'ssh' as const, name: 'silent', user: 'root', host: '127.0.0.1', port: silentPort, identityFiles: [key.file] },
    ];
    const silentLimitMs = 6_000; // how long the silent host holds its slot before it is given up
    const remote = await pool({ home, hosts, hostTimeoutMs: 8_000, readyTimeoutMs: silentLimitMs });

    const started = Date.now();
    const arrivals: { host: string; at: number; state: string }[] = [];
    const all = await remote.overview((result: HostOverview) => arrivals.push({ host: result.host, at: Date.now() - started, state: result.status.state }));

    expect(all.map((result) => result.host)).toEqual(['local', 'far', 'near', 'silent']);
    for (const host of ['local', 'far', 'near']) {
      const result = all.find((candidate) => candidate.host === host)!;
      expect(result.status.state).toBe('online');
      expect(result.containers.find((c) => c.name === name)?.snapshots.map((s) => s.name)).toEqual(['seen-everywhere']);
      // Not held up by the silent host: answered before its limit ran out (a wall-clock margin of the
      // limit itself, so a busy machine does not fail a test about ordering).
      expect(arrivals.find((arrival) => arrival.host === host)!.at).toBeLessThan(silentLimitMs);
    }
    const quiet = all.find((result) => result.host === 'silent')!;
    expect(quiet.status.state).toBe('offline');
    expect(quiet.error?.message).toMatch(/no SSH answer in time|did not answer within/);
    expect(arrivals.at(-1)?.host).toBe('silent');
  });

  it('goes through one jump host to a host only the jump host can reach', async () => {
    const netns = await TestNetns.create(2);
    namespaces.push(netns);
    // The target listens on the namespace's own loopback: unreachable from here, reachable from the jump host.
    const target = await server('target', { address: '127.0.0.1', port: 2222, netns: netns.name });
    const jump = await server('jump', { address: netns.address, port: 22, netns: netns.name });
    const home = tempHome();
    knowHost(home.sshDir, target, jump);
    const host = sshHost('inner', target, { identityFiles: [key.file], jump: { user: 'root', host: netns.address, port: 22 } });
    const remote = await pool({ home, hosts: [host] });
    const result = await remote.test('inner');
    expect(result.status.state).toBe('online');
    expect(result.incusVersion).toMatch(/^6\./);
  });
});
