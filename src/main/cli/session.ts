import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_HOST, type HostConfig } from '../../shared/hosts';
import { configDir } from '../config/paths';
import type { WaitOptions } from '../incus/client';
import { findLocalSocket } from '../incus/local-socket';
import { progressText } from '../incus/progress';
import { HostPool } from '../hosts/pool';
import { HostRegistry, registryWith, type HostList } from '../hosts/registry';
import { coiPrefix } from '../snapshots/coi-naming';
import { resolveContainer } from '../snapshots/resolve-container';
import type { SnapshotService } from '../snapshots/service';
import type { AskPassphrase } from '../ssh/auth';
import { HostKeyPolicy, type AskTrust } from '../ssh/host-key-check';
import { KnownHosts } from '../ssh/known-hosts';
import { ask, askSecret, type CliIo } from './io';

/** `--host` and `--trust-fingerprint`, which every command that talks to a host takes. */
export interface HostChoice {
  host?: string;
  trustFingerprint?: string;
}

/** One CLI invocation's view of the hosts: opened on first use, closed when the command ends. */
export class CliSession {
  private opened: Promise<{ registry: HostRegistry; pool: HostPool; policy: HostKeyPolicy }> | undefined;
  private trustFingerprint: string | undefined;

  constructor(readonly io: CliIo) {}

  get home(): string {
    return this.io.env.HOME || homedir();
  }

  get configDir(): string {
    return configDir({ env: this.io.env, platform: process.platform, home: this.home });
  }

  async registry(): Promise<HostRegistry> {
    return (await this.open()).registry;
  }

  async pool(choice: HostChoice = {}): Promise<HostPool> {
    this.trustFingerprint = choice.trustFingerprint ?? this.trustFingerprint;
    return (await this.open()).pool;
  }

  async policy(): Promise<HostKeyPolicy> {
    return (await this.open()).policy;
  }

  /** A pool for hosts that are not saved yet (`host add` tests one before saving it). */
  async poolWith(host: HostConfig, choice: HostChoice): Promise<HostPool> {
    this.trustFingerprint = choice.trustFingerprint;
    const { registry, policy } = await this.open();
    return this.makePool(registryWith(registry, host), policy);
  }

  async service(choice: HostChoice): Promise<SnapshotService> {
    return (await this.pool(choice)).service(choice.host ?? LOCAL_HOST.name);
  }

  /** `-c/--container`, else `COI_CONTAINER`, else the current workspace's one COI container. */
  async container(service: SnapshotService, explicit: string | undefined): Promise<string> {
    const names = await service.listContainerNames();
    const choice = { explicit, fromEnv: this.io.env.COI_CONTAINER, workspace: this.io.cwd, prefix: coiPrefix(this.io.env) };
    return resolveContainer(choice, names).name;
  }

  /**
   * How a command waits for an Incus operation: Ctrl-C cancels it (or says why the daemon will not),
   * and progress shows on a terminal's stderr (nothing when stderr is a file or pipe).
   */
  get wait(): WaitOptions {
    const onCancelRefused = (reason: string) => this.say(`Cannot cancel: ${reason}; waiting for it to finish (Ctrl-C again stops waiting, not the operation)`);
    const cancel = { signal: this.io.signal, onCancelRefused };
    if (!this.io.stderr.isTTY) return cancel;
    return { ...cancel, onProgress: (operation) => this.io.stderr.write(`\r\x1b[K${progressText(operation)}`) };
  }

  say(line: string): void {
    if (this.io.stderr.isTTY) this.io.stderr.write('\r\x1b[K');
    this.io.stderr.write(`${line}\n`);
  }

  async close(): Promise<void> {
    const opened = await this.opened?.catch(() => undefined);
    await opened?.pool.close();
  }

  private open() {
    this.opened ??= (async () => {
      const dir = this.configDir;
      const registry = await HostRegistry.open(dir);
      if (registry.warning) this.say(`Warning: ${registry.warning}`);
      const knownHosts = new KnownHosts({ user: [join(this.home, '.ssh', 'known_hosts')], app: join(dir, 'known_hosts') });
      const policy = new HostKeyPolicy(knownHosts, this.askTrust);
      return { registry, policy, pool: this.makePool(registry, policy) };
    })();
    return this.opened;
  }

  private makePool(registry: HostList, policy: HostKeyPolicy): HostPool {
    return new HostPool({
      registry,
      coiPrefix: coiPrefix(this.io.env),
      checkHostKeyFor: (host) => policy.checkFor(host),
      localSocket: findLocalSocket(this.io.env),
      env: this.io.env,
      platform: process.platform,
      sshDir: join(this.home, '.ssh'),
      askPassphrase: this.io.stdin.isTTY ? this.askPassphrase : undefined,
    });
  }

  /** `--trust-fingerprint` decides; else a terminal asks as OpenSSH does; else the key is refused. */
  private readonly askTrust: AskTrust = async (key) => {
    if (this.trustFingerprint) return this.trustFingerprint === key.fingerprint;
    if (!this.io.stdin.isTTY) return false;
    const where = `${key.endpoint.host}:${key.endpoint.port}`;
    this.say(`The authenticity of host '${key.host}' (${where}) can't be established.\n${key.keyType} key fingerprint is ${key.fingerprint}.`);
    const answer = await ask(this.io, 'Trust this key and continue connecting? [y/N]: ');
    return answer !== null && /^y(es)?$/i.test(answer.trim());
  };

  private readonly askPassphrase: AskPassphrase = (keyFile, attempt) =>
    askSecret(this.io, `${attempt > 1 ? 'Wrong passphrase. ' : ''}Enter passphrase for key '${keyFile}': `);
}
