import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostsMatch } from '../../src/main/ssh/known-hosts';
import type { HostPool } from '../../src/main/hosts/pool';
import { knowHost, makePool, sshHost, tempHome } from '../helpers/hosts';
import { Fixtures, readFile as readContainerFile, requireDaemon, snapshotNames, testName, writeFile } from '../helpers/incus';
import { keygenFingerprint, makeKey, requireSshd, sshdWithKey, TestAgent, type KeyPair, type TestSshd } from '../helpers/sshd';

const fixtures = new Fixtures();
const pools: HostPool[] = [];
let dir: string;
let sshd: TestSshd;
let key: KeyPair;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  ({ dir, sshd, key } = await sshdWithKey('ssh'));
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await sshd?.stop();
  await fixtures.cleanup();
});

async function pool(setup: Parameters<typeof makePool>[0]): Promise<HostPool> {
  const made = await makePool(setup);
  pools.push(made.pool);
  return made.pool;
}

describe('snapshots over SSH', () => {
  it('lists, creates, restores and deletes through the tunnel, as on the local socket', async () => {
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const remote = await pool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })] });
    const service = remote.service('box');
    const name = await fixtures.launch(testName('sshsnap'));
    await writeFile(name, '/root/f', 'before');

    const made = await service.create(name, { name: 'over-ssh' });
    expect(made.name).toBe('over-ssh');
    expect((await service.listSnapshots(name)).map((s) => s.name)).toEqual(['over-ssh']);
    await writeFile(name, '/root/f', 'after');
    await service.stop(name, { force: true });
    const restored = await service.restore(name, 'over-ssh', { safetySnapshot: false });
    expect(restored?.snapshot).toBe('over-ssh');
    expect(await readContainerFile(name, '/root/f')).toBe('before');
    await service.delete(name, 'over-ssh');
    expect(await snapshotNames(name)).toEqual([]);

    const tested = await remote.test('box');
    expect(tested.status).toMatchObject({ state: 'online', latencyMs: expect.any(Number) });
    expect(tested.incusVersion).toMatch(/^6\./);
  });
});

describe('authentication, in the order OpenSSH uses', () => {
  it('uses the agent when the key is only there', async () => {
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const agentKey = await makeKey(dir, 'agent_only', 'ed25519');
    sshd.authorize(agentKey.publicKey);
    const agent = await TestAgent.start(dir);
    try {
      await agent.add(agentKey.file);
      const remote = await pool({ home, hosts: [sshHost('box', sshd)], env: { SSH_AUTH_SOCK: agent.socket } });
      expect((await remote.test('box')).status.state).toBe('online');
    } finally {
      agent.stop();
    }
  });

  it('uses the default key files in ~/.ssh: ecdsa and RSA keys too', async () => {
    for (const type of ['ecdsa', 'rsa'] as const) {
      const home = tempHome();
      knowHost(home.sshDir, sshd);
      const own = await makeKey(home.sshDir, `id_${type}`, type);
      sshd.authorize(own.publicKey);
      const remote = await pool({ home, hosts: [sshHost('box', sshd)] });
      expect((await remote.test('box')).status.state).toBe('online');
    }
  });

  it('asks for the passphrase of a protected key, and says so when it cannot ask', async () => {
    const locked = await makeKey(dir, 'id_locked', 'ed25519', 'correct horse');
    sshd.authorize(locked.publicKey);
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const host = sshHost('box', sshd, { identityFiles: [locked.file] });

    const asked: string[] = [];
    const askPassphrase = (file: string, attempt: number) => {
      asked.push(`${file}#${attempt}`);
      return Promise.resolve(attempt === 1 ? 'wrong' : 'correct horse');
    };
    expect((await (await pool({ home, hosts: [host], askPassphrase })).test('box')).status.state).toBe('online');
    expect(asked).toEqual([`${locked.file}#1`, `${locked.file}#2`]);

    const silent = await (await pool({ home: { ...home, configDir: join(home.home, 'c2') }, hosts: [host] })).test('box');
    expect(silent.status.state).toBe('auth-failed');
    expect(silent.error?.message).toContain(`${locked.file} (has a passphrase and nobody could be asked for it: add it to your agent with 'ssh-add ${locked.file}')`);

    const declined = await (await pool({ home: { ...home, configDir: join(home.home, 'c3') }, hosts: [host], askPassphrase: () => Promise.resolve(null) })).test('box');
    expect(declined.error?.message).toContain(`${locked.file} (passphrase not given)`);
  });

  it('names every key it tried when none is accepted', async () => {
    const stranger = await makeKey(dir, 'id_stranger', 'ed25519');
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const result = await (await pool({ home, hosts: [sshHost('box', sshd, { identityFiles: [stranger.file, join(dir, 'missing')] })] })).test('box');
    expect(result.status.state).toBe('auth-failed');
    expect(result.error?.message).toBe(
      `root@${sshd.host}:${sshd.port} accepted none of our keys. Tried: ${stranger.file}; ${join(dir, 'missing')} (no such file). Add your public key to ~/.ssh/authorized_keys of root there, or load the right key into your agent (ssh-add); then test the connection again (Test connection in the app, or coi-desktop host test NAME: reads wait for it).`,
    );
  });
});

describe('host keys', () => {
  it('stops at an unknown key, shows the fingerprint ssh-keygen shows, and connects once it is trusted', async () => {
    const home = tempHome();
    const made = await makePool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })] });
    pools.push(made.pool);
    const expected = await keygenFingerprint(`${sshd.hostKey}.pub`);

    const first = await made.pool.test('box');
    expect(first.status).toEqual({ state: 'host-key-unknown', fingerprint: expected, keyType: 'ssh-ed25519' });
    expect(first.error?.message).toContain(`--trust-fingerprint ${expected}`);

    await expect(made.policy.trustOffered('box', 'SHA256:not-the-key')).rejects.toThrow(/does not match/);
    await made.policy.trustOffered('box', expected);
    expect((await made.pool.test('box')).status.state).toBe('online');
    expect(readFileSync(join(home.configDir, 'known_hosts'), 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);
  });

  it('trusts a key the user confirms when asked', async () => {
    const home = tempHome();
    const seen: string[] = [];
    const askTrust = (key: { fingerprint: string }) => {
      seen.push(key.fingerprint);
      return Promise.resolve(true);
    };
    const remote = await pool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })], askTrust });
    expect((await remote.test('box')).status.state).toBe('online');
    expect(seen).toEqual([await keygenFingerprint(`${sshd.hostKey}.pub`)]);
  });

  it('refuses a changed key loudly, with no fallback', async () => {
    const home = tempHome();
    const impostor = await makeKey(dir, `impostor-${Date.now()}`, 'ed25519');
    const [type, blob] = impostor.publicKey.split(' ');
    writeFileSync(join(home.sshDir, 'known_hosts'), `[${sshd.host}]:${sshd.port} ${type} ${blob}\n`);
    const asked: unknown[] = [];
    const result = await (await pool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })], askTrust: (k) => Promise.resolve(asked.push(k) > 0) })).test('box');
    expect(result.status.state).toBe('host-key-changed');
    expect(result.error?.message).toMatch(/^WARNING: the ssh-ed25519 host key of .* has CHANGED: it does not match the key in .*known_hosts \(line 1\); .*man-in-the-middle/);
    expect(asked).toEqual([]);
  });

  it('reads hashed known_hosts entries as OpenSSH writes them', async () => {
    const home = tempHome();
    knowHost(home.sshDir, sshd);
    const file = join(home.sshDir, 'known_hosts');
    await import('node:child_process').then(({ execFileSync }) => execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' }));
    const hashed = readFileSync(file, 'utf8');
    expect(hashed.startsWith('|1|')).toBe(true);
    expect(hostsMatch(hashed.split(' ')[0]!, `[${sshd.host}]:${sshd.port}`)).toBe(true);
    expect((await (await pool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })] })).test('box')).status.state).toBe('online');
  });
});
