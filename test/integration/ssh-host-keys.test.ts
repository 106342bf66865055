import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { HostRegistry } from '../../src/main/hosts/registry';
import { cli } from '../helpers/cli';
import { sshHost, tempHome } from '../helpers/hosts';
import { requireDaemon } from '../helpers/incus';
import { keygenFingerprint, makeKey, requireSshd, sshdWithKey, type KeyPair, type TestSshd } from '../helpers/sshd';
import { openCore, preloadFace, type Face } from '../helpers/transports';

let sshd: TestSshd;
let key: KeyPair;
let dir: string;
let real: string;
const opened: { core: CoiCore; face: Face }[] = [];

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  ({ sshd, key, dir } = await sshdWithKey('hostkeys'));
  real = await keygenFingerprint(`${sshd.hostKey}.pub`);
});
afterAll(async () => {
  for (const { core, face } of opened) {
    await face.close();
    await core.close();
  }
  await sshd?.stop();
});

/** A user whose registry holds `box` (the test's sshd), and the CLI environment of that user. */
async function user() {
  const home = tempHome();
  const registry = await HostRegistry.open(home.configDir);
  await registry.add(sshHost('box', sshd, { identityFiles: [key.file] }));
  return { home, env: { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' } };
}

/** A known_hosts line that gives the test's sshd another key, as if it had been reinstalled. */
async function impostorLine(): Promise<string> {
  const impostor = await makeKey(dir, `impostor-${Date.now()}-${Math.random().toString(16).slice(2)}`, 'ed25519');
  const [type, blob] = impostor.publicKey.split(' ');
  return `[${sshd.host}]:${sshd.port} ${type} ${blob}\n`;
}

describe('advice about an unknown key', () => {
  it('host add tells to run host add again with the fingerprint, not host test of a host it did not save', async () => {
    const home = tempHome();
    const env = { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' };
    const refused = await cli(['host', 'add', 'box', '--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`run the same \`coi-desktop host add box …\` command again with --trust-fingerprint ${real}`);
    expect(refused.stderr).not.toContain('host test box');
  });
});

describe('a fingerprint given with host add --no-test', () => {
  /** `host add box … --no-test --trust-fingerprint FP` for a new user; its environment and app known_hosts file. */
  async function addedWith(fingerprint: string) {
    const home = tempHome();
    const env = { HOME: home.home, COI_DESKTOP_CONFIG_DIR: home.configDir, SSH_AUTH_SOCK: '' };
    const added = await cli(['host', 'add', 'box', '--ssh', `root@${sshd.host}:${sshd.port}`, '-i', key.file, '--no-test', '--trust-fingerprint', fingerprint], { env });
    expect(added.code).toBe(0);
    return { env, appFile: join(home.configDir, 'known_hosts') };
  }

  it('is pinned: the first connection trusts the key that has it', async () => {
    const { env, appFile } = await addedWith(real);
    const tested = await cli(['host', 'test', 'box'], { env });
    expect(tested.stderr).not.toMatch(/cannot be established/);
    expect(tested.code).toBe(0);
    expect(readFileSync(appFile, 'utf8')).toContain(`[${sshd.host}]:${sshd.port} `);
  });

  it('another key is refused, naming both fingerprints, and nothing is trusted', async () => {
    const given = `SHA256:${'A'.repeat(43)}`;
    const { env, appFile } = await addedWith(given);
    const refused = await cli(['snapshot', 'list', '--all', '--host', 'box'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is not the one it was added with: it offers ${real}, and the fingerprint given was ${given}`);
    expect(refused.stderr).toContain(`COI Desktop will not connect`);
    expect(() => readFileSync(appFile, 'utf8')).toThrow(/ENOENT/);
    // The user who checked the key on the host trusts it explicitly.
    expect(await cli(['host', 'test', 'box', '--trust-fingerprint', real], { env })).toMatchObject({ code: 0 });
    expect(await cli(['host', 'test', 'box'], { env })).toMatchObject({ code: 0 });
  });
});

describe('a changed key', () => {
  it("in the app's own known_hosts: the message names that file, and host forget-key removes the old key", async () => {
    const { home, env } = await user();
    const appFile = join(home.configDir, 'known_hosts');
    writeFileSync(appFile, await impostorLine());

    const refused = await cli(['host', 'test', 'box'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`it does not match the key in ${appFile} (line 1)`);
    expect(refused.stderr).toContain(`remove the old key from ${appFile}: coi-desktop host forget-key box --fingerprint ${real}`);

    const shown = await cli(['host', 'forget-key', 'box'], { env });
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain(`then run: coi-desktop host forget-key box --fingerprint ${real}`);
    const wrong = await cli(['host', 'forget-key', 'box', '--fingerprint', `SHA256:${'A'.repeat(43)}`], { env });
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining(`does not match the new key box offers (${real}); nothing was forgotten`) });

    const forgot = await cli(['host', 'forget-key', 'box', '--fingerprint', real], { env });
    expect(forgot.code).toBe(0);
    expect(forgot.stderr).toContain(`Forgot the old key of 'box' (1 line removed from ${appFile})`);
    expect(readFileSync(appFile, 'utf8').trim()).toBe('');
    expect(await cli(['host', 'test', 'box', '--trust-fingerprint', real], { env })).toMatchObject({ code: 0 });
  });

  it('in ~/.ssh/known_hosts: the message gives the ssh-keygen command for that file, which works; forget-key refuses to edit it', async () => {
    const { home, env } = await user();
    const userFile = join(home.sshDir, 'known_hosts');
    writeFileSync(userFile, await impostorLine());

    const refused = await cli(['host', 'test', 'box'], { env });
    const command = `ssh-keygen -R '[${sshd.host}]:${sshd.port}' -f '${userFile}'`;
    expect(refused.stderr).toContain(`remove the old key from ${userFile}: ${command}`);
    const forget = await cli(['host', 'forget-key', 'box', '--fingerprint', real], { env });
    expect(forget).toMatchObject({ code: 1, stderr: expect.stringContaining(`is in ${userFile} (line 1), which COI Desktop never edits; remove it there yourself: ${command}`) });

    execFileSync('sh', ['-c', command], { stdio: 'ignore' });
    expect(await cli(['host', 'test', 'box', '--trust-fingerprint', real], { env })).toMatchObject({ code: 0 });
  });

  it('hosts.forgetKey through the contract checks the new fingerprint, forgets the old key, and the new one can then be trusted', async () => {
    const { core, home } = await openCore();
    const face = preloadFace(core);
    opened.push({ core, face });
    const api = face.api;
    mkdirSync(home.configDir, { recursive: true });
    writeFileSync(join(home.configDir, 'known_hosts'), await impostorLine());
    expect(await api['hosts.add']({ host: sshHost('box', sshd, { identityFiles: [key.file] }), test: false })).toMatchObject({ ok: true });
    expect(await api['hosts.test']({ host: 'box' })).toMatchObject({ ok: true, value: { status: { state: 'host-key-changed', fingerprint: real } } });

    expect(await api['hosts.forgetKey']({ host: 'box', fingerprint: `SHA256:${'A'.repeat(43)}` })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await api['hosts.forgetKey']({ host: 'box', fingerprint: real })).toEqual({ ok: true, value: { file: join(home.configDir, 'known_hosts'), removed: 1 } });
    expect(await api['hosts.trustFingerprint']({ host: 'box', fingerprint: real })).toEqual({ ok: true, value: null });
    expect(await api['hosts.test']({ host: 'box' })).toMatchObject({ ok: true, value: { status: { state: 'online' } } });
  });
});
