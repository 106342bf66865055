import type { SshEndpoint } from '../../shared/hosts';
import { AppError } from '../errors';
import type { HostKeyCheck } from './connection';
import { fingerprint, knownHostsName, type HostKey, type KnownHosts } from './known-hosts';

export interface UnknownHostKey {
  /** The registry name of the host being connected to. */
  host: string;
  endpoint: SshEndpoint;
  keyType: string;
  fingerprint: string;
  /** The fingerprint given when the host was added (`hostKeyFingerprint`), which this key does not have. */
  expected?: string;
}

/** The host key fingerprint a host was added with, and the endpoint it is for (not a jump host). */
export interface ExpectedKey {
  host: string;
  port: number;
  fingerprint: string;
}

/** Asked about a key nobody has trusted yet; true trusts it (it is saved). */
export type AskTrust = (key: UnknownHostKey) => Promise<boolean>;

/** A host key that no longer matches the one on record. */
interface ChangedKey {
  endpoint: SshEndpoint;
  key: HostKey;
  /** The file holding the old key, and its line. */
  file: string;
  line: number;
  revoked: boolean;
}

/** What `forgetChanged` removed. */
export interface ForgottenKey {
  file: string;
  removed: number;
}

/**
 * OpenSSH's rules: a known key connects; a changed (or revoked) key is refused loudly, with no
 * fallback; an unknown key stops the connection until the user trusts its fingerprint. The key
 * last offered by each host is kept so the user can trust it by fingerprint afterwards, and a
 * changed key so the user can forget the old one (from the app's own file only).
 */
export class HostKeyPolicy {
  private readonly offered = new Map<string, { endpoint: SshEndpoint; key: HostKey }>();
  private readonly changed = new Map<string, ChangedKey>();

  constructor(
    private readonly knownHosts: KnownHosts,
    private readonly askTrust?: AskTrust,
    /** Whether a host name is saved in the registry (a host being added is not yet). */
    private readonly isSaved: (host: string) => boolean = () => true,
    /** The fingerprint a saved host was added with (`hostKeyFingerprint`), if any. */
    private readonly expectedKey: (host: string) => ExpectedKey | undefined = () => undefined,
  ) {}

  checkFor(host: string): HostKeyCheck {
    return async (endpoint, key) => {
      const verdict = await this.knownHosts.check(endpoint.host, endpoint.port, key);
      if (verdict.verdict === 'trusted') return;
      const print = fingerprint(key.blob);
      if (verdict.verdict !== 'unknown') {
        const changed = { endpoint, key, ...splitWhere(verdict.where), revoked: verdict.verdict === 'revoked' };
        this.changed.set(host, changed);
        throw new AppError('host-key-changed', this.changedMessage(host, changed), { fingerprint: print, keyType: key.type, where: verdict.where });
      }
      const given = this.expectedKey(host);
      const expected = given && given.host === endpoint.host && given.port === endpoint.port ? given.fingerprint : undefined;
      const unknown = { host, endpoint, keyType: key.type, fingerprint: print, ...(expected && expected !== print ? { expected } : {}) };
      if (expected === print || (await this.askTrust?.(unknown))) {
        await this.knownHosts.trust(endpoint.host, endpoint.port, key);
        return;
      }
      this.offered.set(host, { endpoint, key });
      if (unknown.expected) throw this.notTheGivenKey(host, endpoint, key.type, print, unknown.expected);
      const others = verdict.knownTypes.length > 0 ? ` (keys of other types are known for it: ${verdict.knownTypes.join(', ')})` : '';
      const trust = this.isSaved(host)
        ? `coi-desktop host test ${host} --trust-fingerprint ${print}`
        : `run the same \`coi-desktop host add ${host} …\` command again with --trust-fingerprint ${print}`;
      throw new AppError(
        'host-key-unknown',
        `the authenticity of ${endpoint.host}:${endpoint.port} (${host}) cannot be established${others}. Its ${key.type} key fingerprint is ${print}. If that is the host's key, trust it: ${trust}`,
        { fingerprint: print, keyType: key.type, host: endpoint.host, port: endpoint.port },
      );
    };
  }

  /** Trusts the key `host` last offered, if its fingerprint is `expected`. */
  async trustOffered(host: string, expected: string): Promise<void> {
    const offered = this.offered.get(host);
    if (!offered) throw new AppError('not-found', `${host} has offered no unknown host key to trust; connect to it first`);
    const print = fingerprint(offered.key.blob);
    if (print !== expected) throw new AppError('invalid-input', `the fingerprint ${expected} does not match the key ${host} offered (${print}); nothing was trusted`);
    await this.knownHosts.trust(offered.endpoint.host, offered.endpoint.port, offered.key);
    this.offered.delete(host);
  }

  /**
   * Whether the key `host` last offered would still be refused for the same reason (changed, or
   * unknown) by the known_hosts files as they are now; checked on this computer, without connecting.
   */
  async stillRefused(host: string): Promise<boolean> {
    const changed = this.changed.get(host);
    const last = changed ?? this.offered.get(host);
    if (!last) return false;
    const { verdict } = await this.knownHosts.check(last.endpoint.host, last.endpoint.port, last.key);
    return changed ? verdict === 'changed' || verdict === 'revoked' : verdict === 'unknown';
  }

  /** Whether `host` has offered a changed key since this policy was made. */
  hasChanged(host: string): boolean {
    return this.changed.has(host);
  }

  /**
   * Removes the old key of `host` from the app's own known_hosts, once the user has compared the new
   * key's fingerprint (`expected`). A key in ~/.ssh/known_hosts is refused: the app never edits that
   * file. Afterwards the new key is offered, so `trustOffered` can trust it without reconnecting.
   */
  async forgetChanged(host: string, expected: string): Promise<ForgottenKey> {
    const changed = this.changed.get(host);
    if (!changed) throw new AppError('not-found', `${host} has not offered a changed host key; nothing to forget`);
    const print = fingerprint(changed.key.blob);
    if (print !== expected) throw new AppError('invalid-input', `the fingerprint ${expected} does not match the new key ${host} offers (${print}); nothing was forgotten`);
    if (changed.revoked) throw new AppError('invalid-input', `the key ${host} offers is marked @revoked in ${changed.file} (line ${changed.line}); COI Desktop will not forget a revocation`);
    if (changed.file !== this.knownHosts.appFile) {
      throw new AppError('invalid-input', `the old key of ${host} is in ${changed.file} (line ${changed.line}), which COI Desktop never edits; remove it there yourself: ${keygenRemove(changed)}`);
    }
    const removed = await this.knownHosts.forget(changed.endpoint.host, changed.endpoint.port, changed.key.type);
    this.changed.delete(host);
    this.offered.set(host, { endpoint: changed.endpoint, key: changed.key });
    return { file: changed.file, removed };
  }

  /** A first connection met another key than the fingerprint the host was added with: refused loudly, naming both. */
  private notTheGivenKey(host: string, endpoint: SshEndpoint, type: string, print: string, expected: string): AppError {
    const where = `${endpoint.host}:${endpoint.port}`;
    return new AppError(
      'host-key-unknown',
      `WARNING: the ${type} host key of ${where} (${host}) is not the one it was added with: it offers ${print}, and the fingerprint given was ${expected}. Someone may be intercepting the connection (man-in-the-middle), or the fingerprint given was wrong. COI Desktop will not connect. Compare with 'ssh-keygen -lf' of the host's key on the host itself; if ${print} is its key, trust it: coi-desktop host test ${host} --trust-fingerprint ${print}`,
      { fingerprint: print, expected, keyType: type, host: endpoint.host, port: endpoint.port },
    );
  }

  private changedMessage(host: string, changed: ChangedKey): string {
    const where = `${changed.endpoint.host}:${changed.endpoint.port}`;
    const print = fingerprint(changed.key.blob);
    const known = changed.revoked ? `is REVOKED (${changed.file}, line ${changed.line})` : `has CHANGED: it does not match the key in ${changed.file} (line ${changed.line})`;
    const warning = `WARNING: the ${changed.key.type} host key of ${where} (${host}) ${known}; it now offers ${print}. Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. COI Desktop will not connect.`;
    if (changed.revoked) return warning;
    const inAppFile = changed.file === this.knownHosts.appFile;
    const fix = inAppFile && this.isSaved(host) ? `coi-desktop host forget-key ${host} --fingerprint ${print}` : keygenRemove(changed);
    return `${warning} If you know why the key changed, remove the old key from ${changed.file}: ${fix}; then connect again.`;
  }
}

/** The `ssh-keygen -R` command that removes the old key from the very file that holds it. */
function keygenRemove(changed: ChangedKey): string {
  return `ssh-keygen -R '${knownHostsName(changed.endpoint.host, changed.endpoint.port)}' -f '${changed.file}'`;
}

/** `file:line` as `KnownHosts` reports where an entry is. */
function splitWhere(where: string): { file: string; line: number } {
  const colon = where.lastIndexOf(':');
  return { file: where.slice(0, colon), line: Number(where.slice(colon + 1)) };
}
