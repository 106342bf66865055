import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostKeyFromBlob, hostsMatch, KnownHosts, knownHostsName } from '../../src/main/ssh/known-hosts';

/** A wire-format key blob: string type, then some key bytes. */
function blob(type: string, seed: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(seed.padEnd(32, '.'))]);
}

const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

describe('known_hosts entries', () => {
  it('names non-standard ports as [host]:port', () => {
    expect(knownHostsName('box', 22)).toBe('box');
    expect(knownHostsName('box', 2222)).toBe('[box]:2222');
  });

  it('matches plain names, wildcards, negations and hashed names', () => {
    expect(hostsMatch('box,other', 'box')).toBe(true);
    expect(hostsMatch('BOX', 'box')).toBe(true);
    expect(hostsMatch('*.lab', 'gpu.lab')).toBe(true);
    expect(hostsMatch('gpu?.lab', 'gpu1.lab')).toBe(true);
    expect(hostsMatch('*.lab,!secret.lab', 'secret.lab')).toBe(false);
    expect(hostsMatch('[box]:2222', '[box]:2222')).toBe(true);
    expect(hostsMatch('[box]:2222', 'box')).toBe(false);
    expect(hostsMatch(hashed('[box]:2222'), '[box]:2222')).toBe(true);
    expect(hostsMatch(hashed('box'), 'other')).toBe(false);
  });

  it('reads the key type from the blob and prints the SHA256 fingerprint without padding', () => {
    const key = hostKeyFromBlob(blob('ssh-ed25519', 'a'));
    expect(key.type).toBe('ssh-ed25519');
    expect(fingerprint(key.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('KnownHosts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coi-kh-'));
  const user = join(dir, 'known_hosts');
  const app = join(dir, 'app', 'known_hosts');
  const good = hostKeyFromBlob(blob('ssh-ed25519', 'good'));
  const evil = hostKeyFromBlob(blob('ssh-ed25519', 'evil'));
  const rsa = hostKeyFromBlob(blob('ssh-rsa', 'rsa'));
  const line = (name: string, key: typeof good, marker = '') => `${marker}${name} ${key.type} ${key.blob.toString('base64')}`;

  it('trusts a known key, calls a different key of the same type changed, and another type unknown', async () => {
    writeFileSync(user, `# comment\n${line('[box]:2222', good)}\n`);
    const known = new KnownHosts({ user: [user], app });
    expect(await known.check('box', 2222, good)).toEqual({ verdict: 'trusted' });
    expect(await known.check('box', 2222, evil)).toEqual({ verdict: 'changed', where: `${user}:2` });
    expect(await known.check('box', 2222, rsa)).toEqual({ verdict: 'unknown', knownTypes: ['ssh-ed25519'] });
    expect(await known.check('box', 22, good)).toEqual({ verdict: 'unknown', knownTypes: [] });
  });

  it('refuses a revoked key even when another line trusts it', async () => {
    writeFileSync(user, `${line('box', good)}\n${line('*', good, '@revoked ')}\n`);
    expect(await new KnownHosts({ user: [user], app }).check('box', 22, good)).toEqual({ verdict: 'revoked', where: `${user}:2` });
  });

  it("writes trusted keys to the app's own file only", async () => {
    writeFileSync(user, '');
    const known = new KnownHosts({ user: [user], app });
    await known.trust('box', 2200, good);
    expect(readFileSync(user, 'utf8')).toBe('');
    expect(readFileSync(app, 'utf8')).toBe(`${line('[box]:2200', good)}\n`);
    expect(await known.check('box', 2200, good)).toEqual({ verdict: 'trusted' });
  });
});
