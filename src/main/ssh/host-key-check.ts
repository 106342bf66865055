import type { SshEndpoint } from '../../shared/hosts';
import { AppError } from '../errors';
import type { HostKeyCheck } from './connection';
import { fingerprint, type HostKey, type KnownHosts } from './known-hosts';

export interface UnknownHostKey {
  /** The registry name of the host being connected to. */
  host: string;
  endpoint: SshEndpoint;
  keyType: string;
  fingerprint: string;
}

/** Asked about a key nobody has trusted yet; true trusts it (it is saved). */
export type AskTrust = (key: UnknownHostKey) => Promise<boolean>;

/**
 * OpenSSH's rules: a known key connects; a changed (or revoked) key is refused loudly, with no
 * fallback; an unknown key stops the connection until the user trusts its fingerprint. The key
 * last offered by each host is kept so the user can trust it by fingerprint afterwards.
 */
export class HostKeyPolicy {
  private readonly offered = new Map<string, { endpoint: SshEndpoint; key: HostKey }>();

  constructor(
    private readonly knownHosts: KnownHosts,
    private readonly askTrust?: AskTrust,
  ) {}

  checkFor(host: string): HostKeyCheck {
    return async (endpoint, key) => {
      const verdict = await this.knownHosts.check(endpoint.host, endpoint.port, key);
      if (verdict.verdict === 'trusted') return;
      const print = fingerprint(key.blob);
      const where = `${endpoint.host}:${endpoint.port}`;
      if (verdict.verdict !== 'unknown') {
        const known = verdict.verdict === 'revoked' ? `is REVOKED (${verdict.where})` : `has CHANGED: it does not match ${verdict.where}`;
        throw new AppError(
          'host-key-changed',
          `WARNING: the ${key.type} host key of ${where} (${host}) ${known}; it now offers ${print}. Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled. COI Desktop will not connect. If you know why the key changed, remove the old entry (ssh-keygen -R '${endpoint.port === 22 ? endpoint.host : `[${endpoint.host}]:${endpoint.port}`}') and connect again.`,
          { fingerprint: print, keyType: key.type, where: verdict.where },
        );
      }
      const unknown = { host, endpoint, keyType: key.type, fingerprint: print };
      if (await this.askTrust?.(unknown)) {
        await this.knownHosts.trust(endpoint.host, endpoint.port, key);
        return;
      }
      this.offered.set(host, { endpoint, key });
      const others = verdict.knownTypes.length > 0 ? ` (keys of other types are known for it: ${verdict.knownTypes.join(', ')})` : '';
      throw new AppError(
        'host-key-unknown',
        `the authenticity of ${where} (${host}) cannot be established${others}. Its ${key.type} key fingerprint is ${print}. If that is the host's key, trust it: coi-desktop host test ${host} --trust-fingerprint ${print}`,
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
}
