import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/hosts';
import { cli } from '../helpers/cli';
import { Fixtures, incus, requireDaemon, snapshotNames, testName } from '../helpers/incus';
import { keygenFingerprint, requireSshd, sshdWithKey, type KeyPair, type TestSshd } from '../helpers/sshd';

const fixtures = new Fixtures();
let sshd: TestSshd;
let key: KeyPair;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  ({ sshd, key } = await sshdWithKey('clihosts'));
});
afterAll(async () => {
  await sshd?.stop();
  await fixtures.cleanup();
});

/** A user of their own: HOME (so ~/.ssh) and the app's config directory. */
function user() {
  const home = tempHome();
  return { home, env: { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' } };
}

describe('coi-desktop host', () => {
  it('refuses an unknown host key without a terminal, then adds the host once the fingerprint is given', async () => {
    const { env, home } = user();
    const login = ['--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file];
    const fingerprint = await keygenFingerprint(`${sshd.hostKey}.pub`);

    const refused = await cli(['host', 'add', 'box', ...login], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Its ssh-ed25519 key fingerprint is ${fingerprint}`);
    expect(refused.stderr).toContain('The host was not saved (use --no-test to save it anyway).');
    expect(JSON.parse((await cli(['host', 'list', '--format', 'json'], { env })).stdout)).toHaveLength(1);

    const added = await cli(['host', 'add', 'box', ...login, '--trust-fingerprint', fingerprint], { env });
    expect(added.code).toBe(0);
    expect(added.stderr).toMatch(/^box: online \(\d+ ms\), Incus 6\.\S+\nAdded host 'box' \(root@127\.0\.0\.1:\d+\)\n$/);
    expect(readFileSync(join(home.configDir, 'known_hosts'), 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);

    const hosts = JSON.parse((await cli(['host', 'list', '--format', 'json'], { env })).stdout) as { name: string }[];
    expect(hosts.map((host) => host.name)).toEqual(['local', 'box']);
    expect((await cli(['host', 'test', 'box'], { env })).stdout).toMatch(/^box: online/);
  });

  it('asks on a terminal whether to trust the key, as ssh does', async () => {
    const { env } = user();
    const run = await cli(['host', 'add', 'box', '--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file], { env, tty: { answers: ['yes'] } });
    expect(run.stderr).toMatch(/The authenticity of host 'box' \(127\.0\.0\.1:\d+\) can't be established\.\nssh-ed25519 key fingerprint is SHA256:\S+\.\nTrust this key and continue connecting\? \[y\/N\]: /);
    expect(run.code).toBe(0);
  });

  it('runs snapshot commands on a remote host with --host', async () => {
    const { env } = user();
    await cli(['host', 'add', 'box', '--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file, '--trust-fingerprint', await keygenFingerprint(`${sshd.hostKey}.pub`)], { env });
    const name = await fixtures.launch(testName('clihost'), { stopped: true });
    expect((await cli(['snapshot', 'create', 'remote-one', '-c', name, '--host', 'box'], { env })).code).toBe(0);
    expect(await snapshotNames(name)).toEqual(['remote-one']);
    const listed = JSON.parse((await cli(['snapshot', 'list', '-c', name, '--host', 'box', '--format', 'json'], { env })).stdout) as { snapshots: { name: string }[] };
    expect(listed.snapshots.map((s) => s.name)).toEqual(['remote-one']);
    const missing = await cli(['snapshot', 'list', '-c', name, '--host', 'nope'], { env });
    expect(missing).toMatchObject({ code: 1, stderr: "Error: no host named 'nope' (hosts: local, box); add it with 'coi-desktop host add'\n" });

    const overview = await cli(['overview', '--format', 'json'], { env });
    const hosts = JSON.parse(overview.stdout) as { host: string; status: { state: string }; containers: { name: string }[] }[];
    expect(hosts.map((host) => [host.host, host.status.state])).toEqual([['local', 'online'], ['box', 'online']]);
    expect(hosts[1]?.containers.some((container) => container.name === name)).toBe(true);
  });

  it('imports hosts from ~/.ssh/config and removes them', async () => {
    const { env, home } = user();
    writeFileSync(join(home.sshDir, 'config'), `Host lab\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User root\n  IdentityFile ${key.file}\n\nHost *.wild\n  User x\n`);
    const imported = await cli(['host', 'import-ssh-config'], { env });
    expect(imported.stderr).toBe(`Added host 'lab' (root@127.0.0.1:${sshd.port})\n`);
    const again = await cli(['host', 'import-ssh-config', 'lab'], { env });
    expect(again.stderr).toBe("Skipped 'lab': a host named 'lab' already exists\n");
    expect((await cli(['host', 'remove', 'lab'], { env })).code).toBe(0);
    expect((await cli(['host', 'list'], { env })).stdout).not.toContain('lab');
  });

  it('refuses settings that do not fit, naming the host, the setting and the rule; nothing is saved', async () => {
    const { env } = user();
    const named = await cli(['host', 'add', 'bad!name', '--ssh', 'u@127.0.0.1:2222', '--no-test'], { env });
    expect(named).toMatchObject({ code: 1, stdout: '' });
    expect(named.stderr).toBe("Error: invalid host 'bad!name': name: a host name holds letters, digits, \".\", \"_\" and \"-\", starts with a letter or digit, and has at most 63 characters\n");
    expect((await cli(['host', 'list'], { env })).stdout).not.toContain('bad!name');
  });

  it('reports a corrupt hosts file and keeps it aside', async () => {
    const { env, home } = user();
    mkdirSync(home.configDir);
    writeFileSync(join(home.configDir, 'hosts.json'), '{ broken');
    const run = await cli(['host', 'list'], { env });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Warning: .*hosts\.json could not be read \(not JSON: .*\); it was kept as .*hosts\.json\.corrupt-\d{8}-\d{6}-\d+-[0-9a-f]{6} and no saved hosts were loaded\n$/);
  });
});

describe('snapshots made from a terminal show up', () => {
  it('in the overview of every host', async () => {
    const { env } = user();
    const name = await fixtures.launch(testName('cliov'), { stopped: true });
    await incus('snapshot', 'create', name, 'from-terminal');
    const overview = JSON.parse((await cli(['overview', '--format', 'json'], { env })).stdout) as { containers: { name: string; snapshots: { name: string }[] }[] }[];
    expect(overview[0]?.containers.find((c) => c.name === name)?.snapshots.map((s) => s.name)).toEqual(['from-terminal']);
  });
});
