import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CoiEventSchema, type CoiEvent, type ImportOutcome } from '../../shared/contract';
import type { HostConfig } from '../../shared/hosts';
import type { HostTestResult } from '../../shared/model';
import { Transfers, type FilePicker } from '../backups/transfers';
import { removeStaleTemporaries } from '../config/atomic-file';
import { watchFile } from '../config/watch-file';
import { AppError, toErrorInfo } from '../errors';
import { findLocalSocket } from '../incus/local-socket';
import { HostPool, statusOf } from '../hosts/pool';
import { HostRegistry, type HostList } from '../hosts/registry';
import { coiPrefix, isCoiContainer } from '../snapshots/coi-naming';
import type { AskPassphrase } from '../ssh/auth';
import { HostKeyPolicy, type AskTrust, type ForgottenKey } from '../ssh/host-key-check';
import { KnownHosts } from '../ssh/known-hosts';
import { certPins, ServerCertPolicy, type CertPins } from '../https/server-certs';
import { decodeTrustToken, joinWithToken } from '../https/join';
import type { IncusRemote } from '../https/incus-remotes';
import { createHandlers } from './handlers';
import { RestoreJournal, RESTORES_DIR } from './restore-journal';
import { DIFF_PREFIX, serverOf, TemporaryJournal, TEMPORARIES_DIR } from './temporaries';
import type { Handlers } from './dispatch';
import type { HostEventStreams } from './host-events';
import { AppJobs } from './jobs';
import { PassphraseBroker } from './passphrases';
import { RetentionKeeper } from './retention-keeper';

export interface CoreOptions {
  /** The app's config directory (Electron's userData, or the CLI's `configDir()`). */
  configDir: string;
  home: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /**
   * How this face asks the user about a host key or a key's passphrase. Absent: the window is asked
   * through events (unknown keys wait for `hosts.trustFingerprint`, passphrases for a `passphrase-request`
   * answer). The CLI asks on its terminal, or not at all without one.
   */
  prompts?: { askTrust?: AskTrust; askPassphrase?: AskPassphrase };
  /**
   * Listen to each online host's Incus events and follow `hosts.json` as other processes change it
   * (default); a one-shot command has no use for either.
   */
  liveEvents?: boolean;
  /** Aborting abandons every pending Incus request and operation wait (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /**
   * The desktop app's save and open dialogs for backup files; absent (web mode), exports are browser
   * downloads and imports browser uploads.
   */
  files?: FilePicker;
}

/**
 * What every face of the app shares, free of Electron: the hosts, their connections and events,
 * and one handler per contract call. The Electron shell and web mode are thin layers over it.
 */
export class CoiCore {
  readonly events = new EventEmitter<{ event: [CoiEvent] }>();
  readonly passphrases: PassphraseBroker;
  /** Long work of the app itself (snapshot diffs), shown and cancelled among the Incus operations. */
  readonly jobs = new AppJobs((host, operation) => this.emit({ type: 'operation', host, operation }));
  readonly handlers: Handlers;
  /** Backup exports and imports, with progress and cancel. */
  readonly transfers: Transfers;
  private readonly streams: HostEventStreams | undefined;
  private readonly keeper: RetentionKeeper | undefined;
  private readonly stopWatching: (() => void)[] = [];

  private constructor(
    private readonly options: CoreOptions,
    readonly registry: HostRegistry,
    readonly policy: HostKeyPolicy,
    Streams: typeof HostEventStreams | undefined,
  ) {
    this.passphrases = new PassphraseBroker((event) => this.emit(event));
    this.pins = certPins(registry, this.candidates);
    this.certs = new ServerCertPolicy(this.pins, options.prompts?.askTrust, (host) => registry.list().some((known) => known.name === host));
    this.pool = this.makePool(withCandidates(registry, this.candidates));
    this.pool.on('status', (host, status) => this.emit({ type: 'host-status', host, status }));
    this.streams = Streams && new Streams(this.pool, (event) => this.emit(event));
    this.transfers = new Transfers(
      (host) => this.pool.client(host),
      this.jobs,
      (transfer) => this.emit({ type: 'transfer', transfer }),
      (host) => this.temporaries(host),
    );
    // Only a face that stays (the app, web mode) keeps retention policies applied; a one-shot command does not.
    if (Streams) {
      this.keeper = new RetentionKeeper(this.pool, () => registry.list().map((host) => host.name), (event) => this.emit(event));
      this.events.on('event', this.keeper.hear);
      this.events.on('event', this.recordSeen);
    }
    this.followRegistry();
    if (options.liveEvents !== false) this.stopWatching.push(registry.watch(), ...this.followKnownHosts());
    this.handlers = createHandlers(this);
  }

  readonly pool: HostPool;
  /** The pinned certificates of Incus servers over HTTPS (trust on first use, changes refused). */
  readonly certs: ServerCertPolicy;
  private readonly pins: CertPins;
  /** Hosts being tested before they are saved (the "Add host" flow). */
  private readonly candidates = new Map<string, HostConfig>();

  /**
   * A snapshot of a COI container that this app did not take (Incus's schedule, a terminal) is
   * recorded as well, once Incus has made it (it announces it before copying; the app's own create
   * has recorded its snapshot by then: each is recorded once), for a later diff against it
   * (snapshots/diff/record.ts). Not the diff's own temporary snapshots.
   */
  private readonly recordSeen = (event: CoiEvent): void => {
    if (event.type !== 'lifecycle' || event.action !== 'instance-snapshot-created' || !event.container) return;
    const { host, container } = event;
    const snapshot = /^\/1\.0\/instances\/[^/]+\/snapshots\/([^/?]+)/.exec(event.source)?.[1];
    if (!snapshot || !isCoiContainer(container, coiPrefix(this.options.env))) return;
    const name = decodeURIComponent(snapshot);
    if (name.startsWith(DIFF_PREFIX)) return;
    setTimeout(() => void this.pool.recordSeen(host, container, name).catch(() => undefined), 1000).unref(); // only a later diff is slower
  };

  /** Opens the core on the config directory, first removing what a writer killed mid-write left there. */
  static async open(options: CoreOptions): Promise<CoiCore> {
    await removeStaleTemporaries(options.configDir);
    const registry = await HostRegistry.open(options.configDir);
    const knownHosts = new KnownHosts({ user: [join(options.home, '.ssh', 'known_hosts')], app: join(options.configDir, 'known_hosts') });
    const saved = (host: string) => registry.list().some((known) => known.name === host);
    // The event streams (and undici's WebSocket with them) are loaded by a face that listens only: a one-shot command never does.
    const Streams = options.liveEvents === false ? undefined : (await import('./host-events')).HostEventStreams;
    const expected = (host: string) => {
      const config = registry.list().find((known) => known.name === host);
      return config?.kind === 'ssh' && config.hostKeyFingerprint ? { host: config.host, port: config.port, fingerprint: config.hostKeyFingerprint } : undefined;
    };
    return new CoiCore(options, registry, new HostKeyPolicy(knownHosts, options.prompts?.askTrust, saved, expected), Streams);
  }

  get home(): string {
    return this.options.home;
  }

  get configDir(): string {
    return this.options.configDir;
  }

  /** This computer's record of the temporary objects it makes on `host`, in its project and on its server (see TemporaryJournal). */
  temporaries(host: string): TemporaryJournal {
    return new TemporaryJournal(join(this.options.configDir, TEMPORARIES_DIR), { host, project: this.project(host), server: serverOf(this.pool.configOf(host)) });
  }

  /** This computer's record of the restores under way on `host` (see RestoreJournal). */
  restores(host: string): RestoreJournal {
    const config = this.pool.configOf(host); // a host being added too
    return new RestoreJournal(join(this.options.configDir, RESTORES_DIR), { host, project: config.project ?? 'default', server: serverOf(config) });
  }

  /** The Incus project a host's requests go to ('default' when its entry names none). */
  project(host: string): string {
    return this.registry.get(host)?.project ?? 'default';
  }

  get files(): FilePicker | undefined {
    return this.options.files;
  }

  /**
   * Adds a host: a taken name is refused; the connection is tested first (unless `test` is false) on
   * the app's own pool, so a host that works keeps its connection (no second passphrase prompt); the
   * host is saved only if it works, and a failed one is forgotten again. An Incus server over HTTPS
   * with a trust `token` is joined first: its certificate is pinned to the token's fingerprint
   * (unless the host names one), and the app's certificate is added to its trust store.
   */
  async addHost(host: HostConfig, test = true, token?: string): Promise<HostTestResult> {
    if (this.registry.list().some((known) => known.name === host.name)) {
      throw new AppError('already-exists', `a host named '${host.name}' already exists; remove it first or pick another name`);
    }
    if (token !== undefined && host.kind !== 'incus') throw new AppError('invalid-input', 'a trust token is for an Incus server over HTTPS (--url)');
    const candidate = host.kind === 'incus' && token !== undefined ? { ...host, serverCertFingerprint: host.serverCertFingerprint ?? decodeTrustToken(token).fingerprint } : host;
    const result = token !== undefined ? await this.joinCandidate(candidate, token) : test ? await this.testCandidate(candidate) : { host: host.name, status: { state: 'idle' as const }, incusVersion: null };
    if (result.error) return result;
    await this.registry.add(this.pinned(this.candidates.get(host.name) ?? candidate));
    this.candidates.delete(host.name);
    return result;
  }

  /** An HTTPS host with the certificate pinned for it meanwhile (trusted after its first test), ready to save. */
  private pinned(host: HostConfig): HostConfig {
    if (host.kind !== 'incus' || host.serverCertFingerprint) return host;
    const pin = this.pins.current(host.name);
    return pin ? { ...host, serverCertFingerprint: pin } : host;
  }

  /** Pins, forgets or trusts by fingerprint: the certificate of an HTTPS host, the SSH key of any other. */
  async trustFingerprint(host: string, fingerprint: string): Promise<void> {
    // By what the host offered: a host being added is no longer a candidate once its test failed.
    if (this.certs.hasOffered(host)) await this.certs.trustOffered(host, fingerprint);
    else await this.policy.trustOffered(host, fingerprint);
    // The host waited for this: its next read or test dials again (a refusal is not kept after it).
    this.pool.forget(host);
  }

  /**
   * Forgets the old key of a host whose key has changed (the app's own known_hosts only), once the
   * user has compared the new key's `fingerprint`. Connects first when the host has not shown its
   * new key yet; the next connection is a new one.
   */
  async forgetHostKey(host: string, fingerprint: string): Promise<ForgottenKey> {
    const policy = this.pool.configOf(host).kind === 'incus' ? this.certs : this.policy;
    if (!policy.hasChanged(host)) await this.pool.test(host);
    const forgotten = await policy.forgetChanged(host, fingerprint);
    this.pool.forget(host);
    return forgotten;
  }

  /**
   * Adds hosts read from `~/.ssh/config` or the incus client's remotes, in order. One that could not be read, or whose name is
   * taken (by this or any other process: checked against the current file under its lock), is
   * skipped with the reason; any other failure stops the import.
   */
  async importHosts(candidates: readonly { alias: string; host?: HostConfig; problem?: string }[]): Promise<ImportOutcome[]> {
    const outcomes: ImportOutcome[] = [];
    for (const { alias, host, problem } of candidates) {
      if (!host) outcomes.push({ alias, added: false, reason: problem });
      else outcomes.push(await this.registry.add(host).then(() => ({ alias, added: true }), (error: unknown) => skipTaken(alias, host.name, error)));
    }
    return outcomes;
  }

  /** The incus client's remotes (`config.yml` in its config directory), as the import offers them. */
  async incusRemotes(only: readonly string[] = [], dir?: string): Promise<{ dir: string | null; remotes: IncusRemote[] }> {
    const { findIncusConfigDir, readIncusRemotes } = await import('../https/incus-remotes');
    const found = dir ?? (await findIncusConfigDir({ env: this.options.env, platform: this.options.platform, home: this.options.home }));
    if (!found) {
      if (only.length > 0) throw new AppError('not-found', 'no incus client configuration found (config.yml in $INCUS_CONF or ~/.config/incus)');
      return { dir: null, remotes: [] };
    }
    return { dir: found, remotes: await readIncusRemotes(found, only) };
  }

  private async testCandidate(host: HostConfig): Promise<HostTestResult> {
    this.pool.forget(host.name);
    this.candidates.set(host.name, host);
    const result = await this.pool.test(host.name);
    if (result.error) this.dropCandidate(host.name);
    return result;
  }

  /** Joins an HTTPS server with a trust token on the pinned connection, then tests it as a candidate. */
  private async joinCandidate(host: HostConfig, token: string): Promise<HostTestResult> {
    this.pool.forget(host.name);
    this.candidates.set(host.name, host);
    try {
      await joinWithToken(this.pool.client(host.name), token);
    } catch (error) {
      this.dropCandidate(host.name);
      const info = toErrorInfo(tokenMismatch(error, host));
      return { host: host.name, status: statusOf(error), incusVersion: null, error: { ...info, host: host.name } };
    }
    return this.testCandidate(this.candidates.get(host.name) ?? host);
  }

  private dropCandidate(name: string): void {
    this.candidates.delete(name);
    this.pool.forget(name);
  }

  /** Sends `event` to every listener, validated against the contract first. */
  emit(event: CoiEvent): void {
    this.events.emit('event', CoiEventSchema.parse(event));
  }

  /** Resolves once the host's live event stream is open (never, for a core opened without live events). */
  liveEventsOpen(host: string): Promise<void> {
    return this.streams?.whenOpen(host) ?? new Promise(() => undefined);
  }

  async close(): Promise<void> {
    for (const stop of this.stopWatching) stop();
    this.passphrases.cancelAll();
    await this.keeper?.close();
    await this.streams?.close();
    await this.pool.close();
  }

  /**
   * Whoever changed the hosts (this process or another), the pool drops the connections of removed
   * and changed hosts and the UI hears of it; a file that could not be read is shown as a warning.
   */
  private followRegistry(): void {
    this.registry.on('changed', ({ removed, changed }) => {
      for (const name of [...removed, ...changed]) this.pool.forget(name);
      this.emit({ type: 'hosts-changed' });
    });
    this.registry.on('warning', (message) => this.emit({ type: 'hosts-warning', message }));
  }

  /**
   * A host refused for its key waits for the user; the user may act in another process (the
   * `coi-desktop host forget-key` / `host test --trust-fingerprint` commands its warning names, or
   * `ssh-keygen -R`). When a known_hosts file changes so that the key such a host offered would no
   * longer be refused (checked here, without connecting), the host is tested again once: its status
   * follows without a click on Test connection. Returns the functions that stop watching.
   */
  private followKnownHosts(): (() => void)[] {
    const files = [join(this.options.configDir, 'known_hosts'), join(this.options.home, '.ssh', 'known_hosts')];
    const retest = async (name: string) => {
      if (await this.policy.stillRefused(name)) return;
      this.pool.forget(name);
      await this.pool.test(name);
    };
    const changed = () => {
      for (const { name } of this.pool.hosts()) {
        const state = this.pool.status(name).state;
        if (state === 'host-key-changed' || state === 'host-key-unknown') void retest(name).catch(() => undefined);
      }
    };
    const failed = (error: Error) => this.emit({ type: 'hosts-warning', message: `known_hosts could not be watched: ${error.message}` });
    // ~/.ssh is watched only where it exists: the app never creates it.
    return files.filter((file, index) => index === 0 || existsSync(dirname(file))).map((file) => watchFile(file, changed, failed));
  }

  private makePool(registry: HostList): HostPool {
    return new HostPool({
      registry,
      coiPrefix: coiPrefix(this.options.env),
      checkHostKeyFor: (host) => this.policy.checkFor(host),
      checkServerCertFor: (config) => this.certs.checkFor(config),
      configDir: this.options.configDir,
      recordAfterReturn: this.options.liveEvents !== false,
      localSocket: findLocalSocket(this.options.env),
      env: this.options.env,
      signal: this.options.signal,
      platform: this.options.platform,
      sshDir: join(this.options.home, '.ssh'),
      restores: (host) => this.restores(host),
      onNotice: (host, message) => this.emit({ type: 'hosts-warning', message: `${host}: ${message}` }),
      askPassphrase: this.options.prompts ? this.options.prompts.askPassphrase : this.passphrases.ask,
    });
  }
}

/** The registry's hosts, then the candidates being tested (which the overview leaves out). */
function withCandidates(registry: HostRegistry, candidates: Map<string, HostConfig>): HostList {
  return { list: () => registry.list(), get: (name: string) => candidates.get(name) ?? registry.get(name) };
}

/** A changed certificate while joining means the server is not the one the token (or the user) named. */
function tokenMismatch(error: unknown, host: HostConfig): unknown {
  if (!(error instanceof AppError) || error.code !== 'host-key-changed' || host.kind !== 'incus') return error;
  const offered = String(error.details?.fingerprint ?? '');
  return new AppError(
    'host-key-changed',
    `WARNING: the TLS certificate of ${host.url} (${offered}) is not the one the trust token names (${host.serverCertFingerprint}). ` +
      'Someone may be intercepting the connection, or the token is for another server. The token was not sent; nothing was saved.',
    error.details,
  );
}

/** A host whose name is taken counts as skipped; any other failure is thrown on. */
function skipTaken(alias: string, name: string, error: unknown): ImportOutcome {
  if (error instanceof AppError && error.code === 'already-exists') return { alias, added: false, reason: `a host named '${name}' already exists` };
  throw error;
}
