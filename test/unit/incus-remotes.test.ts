import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findIncusConfigDir, incusConfigDirs, readIncusRemotes } from '../../src/main/https/incus-remotes';
import { readTrustToken } from '../../src/shared/hosts';
import { certFingerprintOf } from '../../src/main/cli/options';

describe("the incus client's configuration", () => {
  it('is looked for where the client keeps it on each OS', () => {
    expect(incusConfigDirs({ env: { INCUS_CONF: '/etc/incus-conf' }, platform: 'linux', home: '/home/a' })).toEqual(['/etc/incus-conf']);
    expect(incusConfigDirs({ env: {}, platform: 'linux', home: '/home/a' })).toEqual(['/home/a/.config/incus']);
    expect(incusConfigDirs({ env: {}, platform: 'darwin', home: '/Users/a' })).toEqual(['/Users/a/.config/incus', '/Users/a/Library/Application Support/incus']);
    expect(incusConfigDirs({ env: { APPDATA: 'C:/Users/a/AppData/Roaming' }, platform: 'win32', home: 'C:/Users/a' })).toEqual(['C:/Users/a/.config/incus', join('C:/Users/a/AppData/Roaming', 'incus')]);
  });

  it('offers each HTTPS remote and says why every other one is skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'incus-conf-'));
    writeFileSync(join(dir, 'client.crt'), 'cert');
    writeFileSync(join(dir, 'client.key'), 'key');
    writeFileSync(join(dir, 'config.yml'), [
      'default-remote: lab',
      'remotes:',
      '  lab: { addr: "https://lab.example:8443", protocol: incus, auth_type: tls, project: dev }',
      '  hub: { addr: "https://hub.example", protocol: oci }',
      '  sso: { addr: "https://sso.example:8443", protocol: incus, auth_type: oidc }',
      '  local: { addr: "unix://" }',
      '  "bad name": { addr: "https://x.example:8443" }',
    ].join('\n'));
    expect(await findIncusConfigDir({ env: { INCUS_CONF: dir }, platform: 'linux', home: '/nowhere' })).toBe(dir);
    const remotes = await readIncusRemotes(dir);
    expect(remotes).toEqual([
      { alias: 'lab', host: { kind: 'incus', name: 'lab', url: 'https://lab.example:8443', project: 'dev', clientCert: { cert: join(dir, 'client.crt'), key: join(dir, 'client.key') } } },
      { alias: 'hub', problem: 'an image server (oci), not an Incus server with containers' },
      { alias: 'sso', problem: expect.stringMatching(/^it signs in with OIDC/) },
      { alias: 'local', problem: expect.stringMatching(/^the local socket/) },
      { alias: 'bad name', problem: expect.stringMatching(/cannot be a COI Desktop host name/) },
    ]);
    await expect(readIncusRemotes(dir, ['nope'])).rejects.toThrow(`no remote named 'nope' in ${join(dir, 'config.yml')}`);
  });

  it('refuses remotes without the client certificate, and a config that is not one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'incus-conf-'));
    mkdirSync(join(dir, 'servercerts'));
    writeFileSync(join(dir, 'config.yml'), 'remotes:\n  lab: { addr: "https://lab.example:8443" }\n');
    expect(await readIncusRemotes(dir)).toEqual([{ alias: 'lab', problem: `there is no client.crt and client.key in ${dir}` }]);
    writeFileSync(join(dir, 'config.yml'), 'remotes: [1, 2]\n');
    await expect(readIncusRemotes(dir)).rejects.toThrow(/is not an incus client configuration/);
  });
});

describe('fingerprints and tokens', () => {
  it('reads a certificate fingerprint in any common spelling, and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    expect(certFingerprintOf(hex.toUpperCase().match(/../g)!.join(':'))).toBe(hex);
    expect(certFingerprintOf('SHA256:abc')).toBeUndefined();
  });

  it('reads a trust token, and nothing that is not one', () => {
    const token = Buffer.from(JSON.stringify({ client_name: 'a', fingerprint: 'AB'.repeat(32), addresses: ['1.2.3.4:8443'], secret: 's', expires_at: '0001-01-01T00:00:00Z' })).toString('base64');
    expect(readTrustToken(` ${token}\n`)).toMatchObject({ client_name: 'a', fingerprint: 'ab'.repeat(32) });
    expect(readTrustToken('not a token')).toBeUndefined();
    expect(readTrustToken(Buffer.from('{"secret":"x"}').toString('base64'))).toBeUndefined();
  });
});
