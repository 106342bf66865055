import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { subscribeEvents } from '../../src/main/incus/events';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import type { HostStatus } from '../../src/shared/hosts';
import { cli } from '../helpers/cli';
import { knowHost, sshHost, statusReached } from '../helpers/hosts';
import { HTTPS_URL, requireHttps, serverFingerprint } from '../helpers/https';
import { Fixtures, requireDaemon } from '../helpers/incus';
import { FaultyListener, forwardTo, keygenFingerprint, requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';
import { openCore } from '../helpers/transports';

// Status is an output: reading a host (the overview, a host page, its lists, its event stream) never
// dials it again while it waits for the user (a changed key, a login it refused). Only the user's own
// action (Test connection, trusting or forgetting a key) or the connection's own schedule dials.
// Every host here is reached through a relay that counts the connections made to it.

let own: Fixtures;
let core: CoiCore;
let home: Awaited<ReturnType<typeof openCore>>['home'];
const relays: FaultyListener[] = [];
const servers: TestSshd[] = [];

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  own = await Fixtures.inProject('reads');
  ({ core, home } = await openCore(own.project));
});
afterAll(async () => {
  await core?.close();
  await Promise.all(relays.map((relay) => relay.close()));
  for (const server of servers) await server.stop();
  await own?.cleanup();
});

/** A relay on 127.0.0.1 to `port` that counts the connections made through it. */
async function relayTo(port: number): Promise<FaultyListener> {
  const relay = await FaultyListener.start(forwardTo(port));
  relays.push(relay);
  return relay;
}

/** Every status `host` is given from now on, in order. */
function statusesOf(host: string): HostStatus['state'][] {
  const seen: HostStatus['state'][] = [];
  core.events.on('event', (event) => {
    if (event.type === 'host-status' && event.host === host) seen.push(event.status.state);
  });
  return seen;
}

/**
 * `sshd` reinstalled: a new host key, every session dropped. Resolves with the new key's fingerprint
 * once `host`'s own reconnection has met it (a test sent at once could still ride the dying session).
 */
async function reinstalled(sshd: TestSshd, host: string): Promise<string> {
  rmSync(sshd.hostKey);
  rmSync(`${sshd.hostKey}.pub`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshd.hostKey]);
  const changed = statusReached(core, host, 'host-key-changed');
  await sshd.restart();
  await changed;
  return keygenFingerprint(`${sshd.hostKey}.pub`);
}

/** What a user's screens ask of `host`, several times over: the overview's two phases, the host list, its containers, a snapshot list, its operations, its event stream. */
async function readEverything(host: string, rounds = 3): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    const [heads, full] = await Promise.all([core.handlers['containers.overview']({ snapshots: false }), core.handlers['containers.overview']({ snapshots: true })]);
    for (const overview of [heads, full]) {
      const mine = overview.find((entry) => entry.host === host)!;
      expect(mine.status.state).toBe(core.pool.status(host).state);
      expect(mine.error?.code).toBe(core.pool.status(host).state);
    }
    expect((await core.handlers['hosts.list']({})).find((summary) => summary.config.name === host)?.status.state).toBe(core.pool.status(host).state);
    const refused = { code: core.pool.status(host).state };
    await expect(core.handlers['containers.list']({ host })).rejects.toMatchObject(refused);
    await expect(core.handlers['snapshots.list']({ host, container: 'c1' })).rejects.toMatchObject(refused);
    await expect(core.handlers['operations.list']({ host })).rejects.toMatchObject(refused);
    await expect(subscribeEvents(core.pool.client(host), ['lifecycle'], { onEvent: () => undefined })).rejects.toThrow();
  }
}

describe('status is an output: a host waiting for the user is read as it is', () => {
  it('an SSH host whose key changed: the first reconnection shows it, then reads never dial it (no status flickers), a test dials once, and forgetting the key brings it back', async () => {
    const { sshd, key } = await sshdWithKey('reads');
    servers.push(sshd);
    const relay = await relayTo(sshd.port);
    await core.registry.add(sshHost('rekeyed', sshd, { port: relay.port, identityFiles: [key.file] }));
    expect((await core.handlers['hosts.test']({ host: 'rekeyed' })).status.state).toBe('host-key-unknown');
    await core.handlers['hosts.trustFingerprint']({ host: 'rekeyed', fingerprint: await keygenFingerprint(`${sshd.hostKey}.pub`) });
    expect((await core.handlers['hosts.test']({ host: 'rekeyed' })).status.state).toBe('online');
    await core.liveEventsOpen('rekeyed');

    const fresh = await reinstalled(sshd, 'rekeyed');
    expect(core.pool.status('rekeyed')).toMatchObject({ state: 'host-key-changed', fingerprint: fresh, reason: expect.stringContaining('CHANGED') });

    const dials = relay.connections;
    const statuses = statusesOf('rekeyed');
    await readEverything('rekeyed');
    expect(relay.connections - dials).toBe(0);
    expect(statuses).toEqual([]);

    // Test connection: one dial, and the status says what it met.
    expect((await core.handlers['hosts.test']({ host: 'rekeyed' })).status.state).toBe('host-key-changed');
    expect(relay.connections - dials).toBe(1);
    expect(statuses).toEqual(['connecting', 'host-key-changed']);

    await core.handlers['hosts.forgetKey']({ host: 'rekeyed', fingerprint: fresh });
    await core.handlers['hosts.trustFingerprint']({ host: 'rekeyed', fingerprint: fresh });
    // Trusting is the user's action: the next read connects, with no Test connection needed.
    expect(await core.handlers['containers.list']({ host: 'rekeyed' })).toEqual(expect.any(Array));
    expect((await core.handlers['hosts.test']({ host: 'rekeyed' })).status.state).toBe('online');
    await core.registry.remove('rekeyed');
  }, 30_000);

  it('an SSH host whose key changed, fixed in a terminal with the commands its warning names: the app follows without a click on Test connection', async () => {
    const { sshd, key } = await sshdWithKey('reads-cli');
    servers.push(sshd);
    await core.registry.add(sshHost('rekeyed-cli', sshd, { identityFiles: [key.file] }));
    const first = await keygenFingerprint(`${sshd.hostKey}.pub`);
    expect((await core.handlers['hosts.test']({ host: 'rekeyed-cli' })).status.state).toBe('host-key-unknown');
    await core.handlers['hosts.trustFingerprint']({ host: 'rekeyed-cli', fingerprint: first });
    expect((await core.handlers['hosts.test']({ host: 'rekeyed-cli' })).status.state).toBe('online');

    const fresh = await reinstalled(sshd, 'rekeyed-cli');

    // Another process (the terminal), on the same config: what the warning says to run.
    const env = { COI_DESKTOP_CONFIG_DIR: home.configDir, HOME: home.home, SSH_AUTH_SOCK: '' };
    const back = statusReached(core, 'rekeyed-cli', 'online');
    expect(await cli(['host', 'forget-key', 'rekeyed-cli', '--fingerprint', fresh], { env })).toMatchObject({ code: 0 });
    expect(await cli(['host', 'test', 'rekeyed-cli', '--trust-fingerprint', fresh], { env })).toMatchObject({ code: 0 });
    await back;
    expect(await core.handlers['containers.list']({ host: 'rekeyed-cli' })).toEqual(expect.any(Array));
    await core.registry.remove('rekeyed-cli');
  }, 30_000);

  it('an SSH host whose Incus is not running is asked again by reads: a daemon that starts there is seen without a test', async () => {
    const { sshd, key } = await sshdWithKey('readsnoincus');
    servers.push(sshd);
    const socketDir = mkdtempSync(join(tmpdir(), 'coi-incus-later-'));
    knowHost(home.sshDir, sshd);
    await core.registry.add(sshHost('later', sshd, { identityFiles: [key.file], socketPath: join(socketDir, 'unix.socket'), project: own.project }));
    try {
      expect((await core.handlers['hosts.test']({ host: 'later' })).status.state).toBe('incus-missing');
      // The daemon appears where the host's socket should be (started there, or restarted).
      symlinkSync(findLocalSocket(), join(socketDir, 'unix.socket'));
      expect(await core.handlers['containers.list']({ host: 'later' })).toEqual([]);
    } finally {
      await core.registry.remove('later');
    }
  }, 30_000);

  it('an HTTPS server whose certificate changed, and one that does not trust this app: reads never ask them again', async () => {
    await requireHttps();
    const { port } = new URL(HTTPS_URL);
    const fingerprint = await serverFingerprint();
    const relay = await relayTo(Number(port || 8443));
    const url = `https://127.0.0.1:${relay.port}`;
    await core.registry.add({ kind: 'incus', name: 'swapped', url, serverCertFingerprint: 'ab'.repeat(32) });
    await core.registry.add({ kind: 'incus', name: 'stranger', url, serverCertFingerprint: fingerprint });
    try {
      expect((await core.handlers['hosts.test']({ host: 'swapped' })).status.state).toBe('host-key-changed');
      expect((await core.handlers['hosts.test']({ host: 'stranger' })).status.state).toBe('auth-failed');

      const dials = relay.connections;
      const statuses = [statusesOf('swapped'), statusesOf('stranger')];
      await readEverything('swapped');
      await readEverything('stranger');
      expect(relay.connections - dials).toBe(0);
      expect(statuses).toEqual([[], []]);
    } finally {
      await core.registry.remove('swapped');
      await core.registry.remove('stranger');
    }
  }, 30_000);
});
