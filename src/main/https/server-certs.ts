import type { HostConfig, IncusHostConfig } from '../../shared/hosts';
import type { HostRegistry } from '../hosts/registry';
import { AppError } from '../errors';
import type { AskTrust } from '../ssh/host-key-check';
import { hostPort, type ServerCertCheck } from './tls-transport';

/** How a server certificate is named where a key type would be (statuses, prompts). */
export const CERT_KEY_TYPE = 'TLS certificate';

/** Where a host's pinned fingerprint is kept: `hosts.json` for a saved host, memory for one being added. */
export interface CertPins {
  /** The pinned fingerprint of `host` now (it may have changed since the connection was made). */
  current(host: string): string | undefined;
  /** Pins `fingerprint` (undefined: forgets the pin). */
  set(host: string, fingerprint: string | undefined): Promise<void>;
  /** Where the pins are kept, for messages. */
  readonly file: string;
}

/**
 * The SSH host-key rules for Incus servers over HTTPS: a pinned certificate connects; a changed
 * one is refused loudly, with no fallback; an unknown one stops the connection until the user trusts
 * its fingerprint (trust on first use). The certificate each host last offered is kept so the user can
 * trust it by fingerprint afterwards, and a changed one so the user can forget the old pin.
 */
export class ServerCertPolicy {
  private readonly offered = new Map<string, string>();
  private readonly changed = new Map<string, string>();

  constructor(
    private readonly pins: CertPins,
    private readonly askTrust?: AskTrust,
    private readonly isSaved: (host: string) => boolean = () => true,
  ) {}

  checkFor(config: IncusHostConfig): ServerCertCheck {
    const host = config.name;
    return async (fingerprint) => {
      const pinned = this.pins.current(host);
      if (pinned === fingerprint) return;
      if (pinned) {
        this.changed.set(host, fingerprint);
        throw new AppError('host-key-changed', this.changedMessage(config, pinned, fingerprint), { fingerprint, keyType: CERT_KEY_TYPE });
      }
      const { host: address, port } = hostPort(config.url);
      if (await this.askTrust?.({ host, endpoint: { user: '', host: address, port }, keyType: CERT_KEY_TYPE, fingerprint })) {
        await this.pins.set(host, fingerprint);
        return;
      }
      this.offered.set(host, fingerprint);
      const trust = this.isSaved(host)
        ? `coi-desktop host test ${host} --trust-fingerprint ${fingerprint}`
        : `run the same \`coi-desktop host add ${host} …\` command again with --trust-fingerprint ${fingerprint}`;
      throw new AppError(
        'host-key-unknown',
        `the authenticity of ${config.url} (${host}) cannot be established. Its ${CERT_KEY_TYPE} SHA-256 fingerprint is ${fingerprint}. ` +
          `Compare it with the server's own (on the server: incus info | grep certificate_fingerprint); if it is the same, trust it: ${trust}`,
        { fingerprint, keyType: CERT_KEY_TYPE, host: address, port },
      );
    };
  }

  /** Whether `host` has offered a certificate this policy has not seen it offer before. */
  hasOffered(host: string): boolean {
    return this.offered.has(host);
  }

  /** Pins the certificate `host` last offered, if its fingerprint is `expected`. */
  async trustOffered(host: string, expected: string): Promise<void> {
    const offered = this.offered.get(host);
    if (!offered) throw new AppError('not-found', `${host} has offered no unknown certificate to trust; connect to it first`);
    if (offered !== expected) throw new AppError('invalid-input', `the fingerprint ${expected} does not match the certificate ${host} offered (${offered}); nothing was trusted`);
    await this.pins.set(host, offered);
    this.offered.delete(host);
  }

  /** Whether `host` has offered a changed certificate since this policy was made. */
  hasChanged(host: string): boolean {
    return this.changed.has(host);
  }

  /**
   * Forgets the old pin of `host` once the user has compared the new certificate's fingerprint
   * (`expected`); the new one is then offered, so `trustOffered` can pin it without reconnecting.
   */
  async forgetChanged(host: string, expected: string): Promise<{ file: string; removed: number }> {
    const changed = this.changed.get(host);
    if (!changed) throw new AppError('not-found', `${host} has not offered a changed certificate; nothing to forget`);
    if (changed !== expected) throw new AppError('invalid-input', `the fingerprint ${expected} does not match the new certificate ${host} offers (${changed}); nothing was forgotten`);
    await this.pins.set(host, undefined);
    this.changed.delete(host);
    this.offered.set(host, changed);
    return { file: this.pins.file, removed: 1 };
  }

  private changedMessage(config: IncusHostConfig, pinned: string, now: string): string {
    const host = config.name;
    const warning =
      `WARNING: the ${CERT_KEY_TYPE} of ${config.url} (${host}) has CHANGED: it does not match the one pinned in ${this.pins.file} (${pinned}); it now offers ${now}. ` +
      'Someone may be intercepting the connection (man-in-the-middle), or the server was reinstalled or its certificate renewed. COI Desktop will not connect.';
    const fix = this.isSaved(host) ? `coi-desktop host forget-key ${host} --fingerprint ${now}` : `remove the host and add it again`;
    return `${warning} If you know why the certificate changed (compare with incus info | grep certificate_fingerprint on the server), forget the old one: ${fix}; then connect again.`;
  }
}

/** The pinned server certificates: a saved host's in `hosts.json`, a host being added's with it in memory. */
export function certPins(registry: Pick<HostRegistry, 'path' | 'list' | 'modify'>, candidates = new Map<string, HostConfig>()): CertPins {
  const find = (host: string) => candidates.get(host) ?? registry.list().find((known) => known.name === host);
  /** Trusted for a host being added whose test had already ended: pinned when it is saved. */
  const pending = new Map<string, string>();
  return {
    file: registry.path,
    current: (host) => {
      const config = find(host);
      return (config?.kind === 'incus' ? config.serverCertFingerprint : undefined) ?? pending.get(host);
    },
    set: async (host, fingerprint) => {
      const pin = (config: HostConfig): HostConfig => (config.kind === 'incus' ? { ...config, serverCertFingerprint: fingerprint } : config);
      const candidate = candidates.get(host);
      if (candidate) candidates.set(host, pin(candidate));
      else if (registry.list().some((known) => known.name === host)) await registry.modify(host, pin);
      else if (fingerprint) pending.set(host, fingerprint);
      else pending.delete(host);
    },
  };
}
