import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import type { HostPool } from '../../src/main/hosts/pool';
import { HostRegistry } from '../../src/main/hosts/registry';
import { TrayController } from '../../src/main/shell/tray-controller';
import type { HostStatus, SshHostConfig } from '../../src/shared/hosts';
import { cliProcess, type CliRun } from '../helpers/cli';
import { knowHost, makePool, sshHost, tempHome } from '../helpers/hosts';
import { Fixtures, incus, requireDaemon, snapshotNames, testName } from '../helpers/incus';
import { ChannelStallServer, closeAfterBanner, closeAfterKex, FaultyListener, forwardTo, makeKey, neverSpeak, requireSshd, sshdWithKey, type ConnectionBehaviour, type TestSshd } from '../helpers/sshd';
import { openCore, webFace, type Face } from '../helpers/transports';

const pools: HostPool[] = [];
const listeners: (FaultyListener | ChannelStallServer)[] = [];
const servers: TestSshd[] = [];
const cores: { core: CoiCore; face?: Face }[] = [];
const fixtures = new Fixtures();

beforeAll(() => {
  requireDaemon();
  requireSshd();
});
afterAll(async () => {
  for (const { core, face } of cores) {
    await face?.close();
    await core.close();
  }
  await Promise.all(pools.map((pool) => pool.close()));
  await Promise.all(listeners.map((listener) => listener.close()));
  for (const server of servers) {
    await server.signal('SIGCONT');
    await server.stop();
  }
  await fixtures.cleanup();
});

/** A real sshd of this test's own (frozen or killed only by this test), and a key it accepts. */
async function realSshd(label: string) {
  const made = await sshdWithKey(label);
  servers.push(made.sshd);
  return made;
}

/** Resolves with the time when `pool` reports `host` in `state`. */
function statusReached(pool: HostPool, state: HostStatus['state']): Promise<number> {
  return new Promise((resolve) => {
    const listen = (_host: string, status: HostStatus) => {
      if (status.state !== state) return;
      pool.off('status', listen);
      resolve(Date.now());
    };
    pool.on('status', listen);
  });
}

async function listener(behaviour: ConnectionBehaviour): Promise<FaultyListener> {
  const started = await FaultyListener.start(behaviour);
  listeners.push(started);
  return started;
}

const boxAt = (port: number, extra: Partial<SshHostConfig> = {}): SshHostConfig => ({ kind: 'ssh', name: 'box', user: 'root', host: '127.0.0.1', port, identityFiles: [], ...extra });

/** A user of their own whose registry holds `hosts`, and the environment the CLI needs to be that user. */
async function userWith(...hosts: SshHostConfig[]) {
  const home = tempHome();
  const registry = await HostRegistry.open(home.configDir);
  for (const host of hosts) await registry.add(host);
  return { home, env: { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' } };
}

async function poolFor(host: SshHostConfig, readyTimeoutMs = 3_000): Promise<HostPool> {
  const { home } = await userWith();
  const { pool } = await makePool({ home, hosts: [host], readyTimeoutMs });
  pools.push(pool);
  return pool;
}

describe('a handshake that ends early is an error, never silence', () => {
  const closing: [string, ConnectionBehaviour][] = [
    ['reads the key exchange and closes', closeAfterKex],
    ['closes right after its banner', closeAfterBanner],
  ];

  it.each(closing)('a server that %s: the host test fails and says so', async (_label, behaviour) => {
    const server = await listener(behaviour);
    const pool = await poolFor(boxAt(server.port));
    const result = await pool.test('box');
    expect(result.status).toMatchObject({ state: 'offline' });
    expect(result.error).toMatchObject({ code: 'host-unreachable', message: expect.stringMatching(/the SSH server closed the connection during the handshake/) });
  }, 10_000);

  it('a jump host that drops while the target handshake is under way: the test fails at once and says so', async () => {
    const { sshd: jump, key } = await realSshd('jumpdrop');
    const target = await listener(neverSpeak);
    const home = tempHome();
    knowHost(home.sshDir, jump);
    const host = boxAt(target.port, { identityFiles: [key.file], jump: { user: 'root', host: jump.host, port: jump.port } });
    const { pool } = await makePool({ home, hosts: [host], readyTimeoutMs: 10_000 });
    pools.push(pool);
    const tested = pool.test('box');
    while (target.connections === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await jump.stop();
    const droppedAt = Date.now();
    const result = await tested;
    expect(Date.now() - droppedAt).toBeLessThan(3_000); // not the 10 s handshake limit
    expect(result.error).toMatchObject({ code: 'host-unreachable', message: expect.stringMatching(/the SSH server \(or the jump host in between\) closed the connection during the handshake/) });
  }, 20_000);

  it('a server that accepts and never speaks: the test fails when the handshake time is up', async () => {
    const server = await listener(neverSpeak);
    const pool = await poolFor(boxAt(server.port), 1_500);
    const result = await pool.test('box');
    expect(result.error).toMatchObject({ code: 'host-unreachable', message: expect.stringMatching(/no SSH answer in time/) });
  }, 10_000);

  it('a server that lets the key in and then never opens a channel: the test fails when the handshake time is up', async () => {
    const home = tempHome();
    const server = await ChannelStallServer.start(home.home);
    listeners.push(server);
    const key = await makeKey(home.home, 'client', 'ed25519');
    knowHost(home.sshDir, server);
    const { pool } = await makePool({ home, hosts: [boxAt(server.port, { identityFiles: [key.file] })], readyTimeoutMs: 1_500 });
    pools.push(pool);
    const result = await pool.test('box');
    expect(server.channelOpens).toBeGreaterThan(0);
    expect(result.status).toMatchObject({ state: 'offline' });
    expect(result.error).toMatchObject({
      code: 'host-unreachable',
      message: expect.stringMatching(/accepted the SSH session but did not open a channel to the Incus socket \/var\/lib\/incus\/unix\.socket within 1\.5 s/),
    });
  }, 20_000);

  it.each(closing)('a server that %s: every command exits 1 with the reason', async (_label, behaviour) => {
    const server = await listener(behaviour);
    const { env } = await userWith(boxAt(server.port));
    const commands = [
      ['host', 'test', 'box'],
      ['snapshot', 'list', '--host', 'box', '-c', 'anything'],
      ['snapshot', 'list', '--all', '--host', 'box'],
      ['snapshot', 'create', '--host', 'box', '-c', 'anything'],
    ];
    const runs = await Promise.all(commands.map((args) => cliProcess(args, env)));
    for (const run of runs) {
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toMatch(/^Error: cannot reach SSH on 127\.0\.0\.1:\d+: the SSH server closed the connection during the handshake/m);
    }
  }, 30_000);
});

describe('the long-running core after a handshake that ended early', () => {
  it('tests and lists the host again: the next call dials anew instead of waiting on the dead one', async () => {
    const { sshd, key } = await realSshd('nowedge');
    const { core, home } = await openCore();
    const face = await webFace(core);
    cores.push({ core, face });
    const relay = await listener((socket, index) => (index === 0 ? closeAfterKex : forwardTo(sshd.port))(socket, index));
    writeFileSync(join(home.sshDir, 'known_hosts'), sshd.knownHostsLine().replace(`]:${sshd.port} `, `]:${relay.port} `) + '\n');
    const api = face.api;
    expect(await api['hosts.add']({ host: boxAt(relay.port, { identityFiles: [key.file] }), test: false })).toMatchObject({ ok: true });

    const first = await api['hosts.test']({ host: 'box' });
    expect(first).toMatchObject({ ok: true, value: { status: { state: 'offline' }, error: { message: expect.stringContaining('closed the connection during the handshake') } } });
    expect(await api['hosts.test']({ host: 'box' })).toMatchObject({ ok: true, value: { status: { state: 'online' } } });
    expect(await api['containers.list']({ host: 'box' })).toMatchObject({ ok: true, value: expect.any(Array) });
  }, 20_000);
});

describe('status is an output', () => {
  it('a dead host is dialled on the backoff schedule only, however often the tray and the overview refresh', async () => {
    const dead = await listener(closeAfterBanner);
    const { core } = await openCore();
    cores.push({ core });
    await core.registry.add(boxAt(dead.port));
    const tray = new TrayController(core, { setMenu: () => undefined, notify: () => undefined, openWindow: () => undefined, quit: () => undefined }, 20);
    const started = Date.now();
    await tray.refresh();
    while (Date.now() - started < 6_000) {
      await core.pool.overview(); // a page reload, or another window
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    tray.dispose();
    // Backoff 1 s, 2 s, 4 s…: dials at 0, 1 and 3 s (and 7 s) in 6 s; the feedback loop dialled every ~0.5 s.
    expect(dead.connections).toBeGreaterThanOrEqual(2);
    expect(dead.connections).toBeLessThanOrEqual(4);
    expect(core.pool.status('box')).toMatchObject({ state: 'offline', nextRetryAt: expect.any(String) });
  }, 20_000);
});

describe('hosts that go away and come back', () => {
  it('a host that stops answering without closing (sshd frozen) shows as offline within 10 s', async () => {
    const { sshd, key } = await realSshd('frozen');
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const { pool } = await makePool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })] });
    pools.push(pool);
    expect((await pool.test('box')).status.state).toBe('online');
    const offline = statusReached(pool, 'offline');
    await sshd.signal('SIGSTOP');
    const frozenAt = Date.now();
    const seenAt = await offline;
    await sshd.signal('SIGCONT');
    expect(seenAt - frozenAt).toBeLessThan(10_000);
  }, 20_000);

  it('a host offline at start shows its next retry, and is online within 3 s of answering again', async () => {
    const { sshd, key } = await realSshd('comeback');
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const { pool } = await makePool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })] });
    pools.push(pool);
    await sshd.stop();
    const result = await pool.test('box');
    expect(result.status).toMatchObject({ state: 'offline', reason: expect.stringMatching(/connection refused/), nextRetryAt: expect.any(String) });
    // Wait out the first retries so the backoff is well beyond 3 s.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const online = statusReached(pool, 'online');
    await sshd.start();
    const answeringAt = Date.now();
    expect((await online) - answeringAt).toBeLessThan(3_000);
  }, 20_000);
});

describe('outcomes after the connection drops mid-command (a real sshd killed at random moments)', () => {
  /** Runs the built CLI with each of `commands` at once, and kills the test's own sshd `afterMs` into the runs, then starts it again. */
  async function killedAt<T extends string[][]>(sshd: TestSshd, env: NodeJS.ProcessEnv, commands: [...T], afterMs: number): Promise<{ [K in keyof T]: CliRun }> {
    const runs = Promise.all(commands.map((args) => cliProcess(args, env))) as Promise<{ [K in keyof T]: CliRun }>;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    await sshd.stop();
    await sshd.start();
    return runs;
  }

  async function remoteUser(label: string) {
    const { sshd, key } = await realSshd(label);
    const { home, env } = await userWith(sshHost('box', sshd, { identityFiles: [key.file] }));
    knowHost(home.sshDir, sshd);
    return { sshd, env };
  }

  it('snapshot create and list --all either succeed truthfully or exit 1 with the reason; a create that happened is reported, never repeated', async () => {
    const { sshd, env } = await remoteUser('killcreate');
    const container = await fixtures.launch(testName('drop'), { stopped: true });
    let created = 0;
    for (let run = 0; run < 6; run += 1) {
      const before = await snapshotNames(container);
      const create = ['snapshot', 'create', '--host', 'box', '-c', container];
      const list = ['snapshot', 'list', '--all', '--host', 'box', '--format', 'json'];
      // The CLI takes ~0.5-1 s to start here: kill before it dials, during the handshake, or mid-request.
      const [result, listed] = await killedAt(sshd, env, [create, list], 300 + Math.random() * 1_500);
      const made = (await snapshotNames(container)).filter((name) => !before.includes(name));
      expect(made.length).toBeLessThanOrEqual(1); // never a duplicate
      if (result.code === 0) {
        expect(made).toHaveLength(1);
        expect(result.stderr).toContain(`Created snapshot '${made[0]}'`);
        created += 1;
      } else {
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^Error: /m);
        if (made.length === 1) expect(result.stderr).toContain(`snapshot '${made[0]}' may have been created: check with coi-desktop snapshot list -c ${container} --host box`);
      }
      if (listed.code === 0) expect(JSON.parse(listed.stdout)).toBeTypeOf('object');
      else expect(listed).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^Error: /m) });
    }
    expect(created).toBeGreaterThan(0);
  }, 120_000);

  /** Resolves once the daemon runs an operation on `container` (a create that got through). */
  async function operationRunningOn(container: string): Promise<void> {
    for (;;) {
      const byStatus = JSON.parse(await incus('query', '/1.0/operations?recursion=1')) as Record<string, { status: string; resources?: Record<string, string[]> | null }[] | null>;
      const running = (byStatus.running ?? []).some((operation) => Object.values(operation.resources ?? {}).flat().includes(`/1.0/instances/${container}`));
      if (running) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('a create whose connection drops while the daemon makes the snapshot is reported created once the host is back', async () => {
    const { sshd, env } = await remoteUser('dropmid');
    const container = await fixtures.launch(testName('dropmid'));
    await incus('exec', container, '--', 'dd', 'if=/dev/urandom', 'of=/big', 'bs=1M', 'count=150'); // a snapshot that takes a second or so
    const run = cliProcess(['snapshot', 'create', '--host', 'box', '-c', container], env);
    await operationRunningOn(container);
    await sshd.stop();
    // Down long enough for the finished operation to vanish from the daemon (it keeps them ~5 s).
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    await sshd.start();
    const result = await run;
    const made = await snapshotNames(container);
    expect(made).toHaveLength(1);
    expect(result).toMatchObject({ code: 0, stderr: expect.stringContaining(`Created snapshot '${made[0]}' for container '${container}'`) });
  }, 60_000);

  it('delete --all reports what the daemon did: the snapshots it says it deleted are exactly the ones gone', async () => {
    const { sshd, env } = await remoteUser('killdelete');
    const container = await fixtures.launch(testName('dropall'), { stopped: true });
    const all = Array.from({ length: 12 }, (_, index) => `s${index}`);
    for (const name of all) await fixtures.incus('snapshot', 'create', container, name);
    const [result] = await killedAt(sshd, env, [['snapshot', 'delete', '--all', '-f', '--host', 'box', '-c', container]], 800 + Math.random() * 1_200);
    const left = await snapshotNames(container);
    const gone = all.filter((name) => !left.includes(name));
    const reportedDeleted = [...result.stderr.matchAll(/^Deleted snapshot '([^']+)'$/gm)].map((match) => match[1]);
    const mayHaveGone = [...result.stderr.matchAll(/snapshot '([^']+)' may have been deleted/g)].map((match) => match[1]);
    expect(gone.filter((name) => !mayHaveGone.includes(name)).sort()).toEqual(reportedDeleted.sort());
    expect(result.code).toBe(left.length === 0 && mayHaveGone.length === 0 ? 0 : 1);
    if (result.code === 1) expect(result.stderr).toMatch(/^Error: /m);
  }, 60_000);
});
