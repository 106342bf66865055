import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../config/atomic-file';
import { dirname } from 'node:path';

/** An SSH host key as the server sends it: the wire-format blob, whose first field is its type. */
export interface HostKey {
  type: string;
  blob: Buffer;
}

export function hostKeyFromBlob(blob: Buffer): HostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  return { type: blob.subarray(4, 4 + length).toString('latin1'), blob };
}

/** `SHA256:…` as `ssh-keygen -lf` and OpenSSH's prompts print it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface Entry {
  marker: '@revoked' | '@cert-authority' | undefined;
  hosts: string;
  type: string;
  key: string;
  where: string;
}

export type HostKeyVerdict =
  | { verdict: 'trusted' }
  | { verdict: 'unknown'; knownTypes: string[] }
  | { verdict: 'changed'; where: string }
  | { verdict: 'revoked'; where: string };

/**
 * Host keys the user trusts: OpenSSH's `~/.ssh/known_hosts` (plain, hashed `|1|…` and pattern
 * entries, `@revoked`) read as it is, and the app's own file, the only one the app writes to.
 */
export class KnownHosts {
  constructor(
    private readonly files: { user: string[]; app: string },
  ) {}

  async check(host: string, port: number, key: HostKey): Promise<HostKeyVerdict> {
    const name = knownHostsName(host, port);
    const entries = (await this.entries()).filter((entry) => hostsMatch(entry.hosts, name));
    const keyText = key.blob.toString('base64');
    const revoked = entries.find((entry) => entry.marker === '@revoked' && entry.key === keyText);
    if (revoked) return { verdict: 'revoked', where: revoked.where };
    const plain = entries.filter((entry) => entry.marker === undefined);
    if (plain.some((entry) => entry.type === key.type && entry.key === keyText)) return { verdict: 'trusted' };
    const changed = plain.find((entry) => entry.type === key.type);
    if (changed) return { verdict: 'changed', where: changed.where };
    return { verdict: 'unknown', knownTypes: [...new Set(plain.map((entry) => entry.type))] };
  }

  /** Remembers `key` for `host:port` in the app's own known-hosts file. */
  async trust(host: string, port: number, key: HostKey): Promise<void> {
    await mkdir(dirname(this.files.app), { recursive: true, mode: 0o700 });
    await appendFile(this.files.app, `${knownHostsName(host, port)} ${key.type} ${key.blob.toString('base64')}\n`, { mode: 0o600 });
  }

  /** The app's own file: the only one it writes to. */
  get appFile(): string {
    return this.files.app;
  }

  /** Removes the `keyType` keys of `host:port` from the app's own file; returns how many lines went. */
  async forget(host: string, port: number, keyType: string): Promise<number> {
    const name = knownHostsName(host, port);
    const lines = (await readOptional(this.files.app)).split('\n');
    const kept = lines.filter((raw) => {
      const [hosts, type] = raw.trim().split(/\s+/);
      return !(hosts && type === keyType && !hosts.startsWith('@') && hostsMatch(hosts, name));
    });
    if (kept.length !== lines.length) await writeFileAtomic(this.files.app, kept.join('\n'));
    return lines.length - kept.length;
  }

  private async entries(): Promise<Entry[]> {
    const texts = await Promise.all([...this.files.user, this.files.app].map(async (file) => ({ file, text: await readOptional(file) })));
    return texts.flatMap(({ file, text }) => parseKnownHosts(text, file));
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function parseKnownHosts(text: string, file: string): Entry[] {
  return text.split('\n').flatMap((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return [];
    const fields = line.split(/\s+/);
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift() as Entry['marker'] : undefined;
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) return [];
    return [{ marker, hosts, type, key, where: `${file}:${index + 1}` }];
  });
}

/** Whether a known_hosts host field (hashed, or patterns with `*`, `?` and `!`) names `name`. */
export function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatch(negated ? pattern.slice(1) : pattern, name.toLowerCase())) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function globMatch(pattern: string, text: string): boolean {
  const source = pattern.toLowerCase().replace(/[.+^${}()|\\]/g, '\\$&').replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}
