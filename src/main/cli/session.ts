import { homedir } from 'node:os';
import { LOCAL_HOST } from '../../shared/hosts';
import { CoiCore } from '../app/core';
import { configDir } from '../config/paths';
import type { IncusClient, WaitOptions } from '../incus/client';
import { progressText } from '../incus/progress';
import { coiPrefix } from '../snapshots/coi-naming';
import { resolveContainer } from '../snapshots/resolve-container';
import type { SnapshotService } from '../snapshots/service';
import type { AskPassphrase } from '../ssh/auth';
import type { AskTrust } from '../ssh/host-key-check';
import { CERT_KEY_TYPE } from '../https/server-certs';
import { printable } from './printable';
import { ask, askSecret, type CliIo } from './io';

/** `--host` and `--trust-fingerprint`, which every command that talks to a host takes. */
export interface HostChoice {
  host?: string;
  trustFingerprint?: string;
}

/**
 * One CLI invocation: the same core as the desktop app, opened on first use with the terminal's
 * prompts (host keys, passphrases), and closed when the command ends.
 */
export class CliSession {
  private opened: Promise<CoiCore> | undefined;
  private trustFingerprint: string | undefined;

  constructor(readonly io: CliIo) {}

  get home(): string {
    return this.io.env.HOME || homedir();
  }

  get configDir(): string {
    return configDir({ env: this.io.env, platform: process.platform, home: this.home });
  }

  /** The core; `--trust-fingerprint` of this command decides an unknown host key. */
  async core(choice: HostChoice = {}): Promise<CoiCore> {
    this.trustFingerprint = choice.trustFingerprint ?? this.trustFingerprint;
    this.opened ??= (async () => {
      const core = await CoiCore.open({
        configDir: this.configDir,
        home: this.home,
        env: this.io.env,
        platform: process.platform,
        prompts: { askTrust: this.askTrust, askPassphrase: this.io.stdin.isTTY ? this.askPassphrase : undefined },
        liveEvents: false,
        signal: this.io.signal,
      });
      if (core.registry.warning) this.say(`Warning: ${core.registry.warning}`);
      return core;
    })();
    return this.opened;
  }

  /** The chosen host's snapshot service, once the restores a killed command left on that host are finished (and said). */
  async service(choice: HostChoice): Promise<SnapshotService> {
    const service = (await this.core(choice)).pool.service(choice.host ?? LOCAL_HOST.name);
    for (const message of await service.finishInterruptedRestores()) this.say(message);
    return service;
  }

  /** The Incus client of the chosen host (`--host`, default local). */
  async client(choice: HostChoice): Promise<IncusClient> {
    return (await this.core(choice)).pool.client(choice.host ?? LOCAL_HOST.name);
  }

  /** `-c/--container`, else `COI_CONTAINER`, else the current workspace's one COI container. */
  async container(service: SnapshotService, explicit: string | undefined): Promise<string> {
    const names = await service.listContainerNames();
    const choice = { explicit, fromEnv: this.io.env.COI_CONTAINER, workspace: this.io.cwd, prefix: coiPrefix(this.io.env) };
    return resolveContainer(choice, names).name;
  }

  /**
   * How a command waits for an Incus operation: Ctrl-C cancels it where the daemon allows that and
   * ends the wait either way; progress shows on a terminal's stderr (nothing when stderr is a file or pipe).
   */
  get wait(): WaitOptions {
    const cancel = { signal: this.io.signal };
    if (!this.io.stderr.isTTY) return cancel;
    return { ...cancel, onProgress: (operation) => this.io.stderr.write(`\r\x1b[K${printable(progressText(operation))}`) };
  }

  /** A message on stderr, its strings from the daemon made printable. */
  say(line: string): void {
    if (this.io.stderr.isTTY) this.io.stderr.write('\r\x1b[K');
    this.io.stderr.write(`${printable(line, true)}\n`);
  }

  async close(): Promise<void> {
    const core = await this.opened?.catch(() => undefined);
    await core?.close();
  }

  /** `--trust-fingerprint` decides; else a terminal asks as OpenSSH does; else the key is refused. */
  private readonly askTrust: AskTrust = async (key) => {
    if (this.trustFingerprint) return this.trustFingerprint === key.fingerprint;
    // Not the key the host was added with: refused with both fingerprints, never asked about.
    if (key.expected || !this.io.stdin.isTTY) return false;
    const where = `${key.endpoint.host}:${key.endpoint.port}`;
    const what = key.keyType === CERT_KEY_TYPE ? `${CERT_KEY_TYPE} SHA-256 fingerprint` : `${key.keyType} key fingerprint`;
    this.say(`The authenticity of host '${key.host}' (${where}) can't be established.\n${what} is ${key.fingerprint}.`);
    const answer = await ask(this.io, `Trust this ${key.keyType === CERT_KEY_TYPE ? 'certificate' : 'key'} and continue connecting? [y/N]: `);
    return answer !== null && /^y(es)?$/i.test(answer.trim());
  };

  private readonly askPassphrase: AskPassphrase = (keyFile, attempt) =>
    askSecret(this.io, `${attempt > 1 ? 'Wrong passphrase. ' : ''}Enter passphrase for key '${keyFile}': `);
}
