import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { HostsFileSchema, LOCAL_HOST, type HostConfig } from '../../shared/hosts';
import { parseHosts } from './hosts-file';
import { timestampedName } from '../../shared/names';
import { writeFileAtomic } from '../config/atomic-file';
import { withFileLock } from '../config/file-lock';
import { watchFile } from '../config/watch-file';
import { AppError } from '../errors';

export const HOSTS_FILE = 'hosts.json';

/** What a change of the file did to the hosts, by name. */
export interface HostsDiff {
  added: string[];
  removed: string[];
  /** Hosts whose settings changed: their open connections are stale. */
  changed: string[];
}

/**
 * The hosts the user manages: `hosts.json` in the config directory, zod-validated, written
 * atomically, shared by every process (the app, web mode, any number of CLI commands). Every change
 * is a read-modify-write of the current file under an inter-process lock, so no writer loses
 * another's host; `reload` picks up what other processes wrote. The machine's own Incus (`local`) is
 * always there unless the file configures it. A corrupt file is moved aside as a backup and
 * reported, never silently replaced.
 *
 * Emits `changed` whenever the hosts it lists change (its own writes and reloads alike), and
 * `warning` when the file could not be read.
 */
export class HostRegistry extends EventEmitter<{ changed: [diff: HostsDiff]; warning: [message: string] }> {
  private hosts: HostConfig[] = [];
  private readonly problems: string[] = [];
  /** Reloads and updates of this process, one at a time, so an older read never replaces a newer one. */
  private queue: Promise<unknown> = Promise.resolve();
  readonly path: string;

  private constructor(
    configDir: string,
    private readonly now: () => Date,
  ) {
    super();
    this.path = join(configDir, HOSTS_FILE);
  }

  static async open(configDir: string, now: () => Date = () => new Date()): Promise<HostRegistry> {
    const registry = new HostRegistry(configDir, now);
    await registry.reload();
    return registry;
  }

  /** Every time the file could not be read since this registry was opened, oldest first. */
  get warnings(): string[] {
    return [...this.problems];
  }

  /** The latest of `warnings`. */
  get warning(): string | undefined {
    return this.problems.at(-1);
  }

  list(): HostConfig[] {
    const local = this.hosts.some((host) => host.name === LOCAL_HOST.name) ? [] : [LOCAL_HOST];
    return [...local, ...this.hosts];
  }

  get(name: string): HostConfig {
    const host = this.list().find((candidate) => candidate.name === name);
    if (host) return host;
    const known = this.list().map((candidate) => candidate.name).join(', ');
    throw new AppError('not-found', `no host named '${name}' (hosts: ${known}); add it with 'coi-desktop host add'`);
  }

  /** Adds a host; the built-in `local` host may be configured once (a display name, a project). */
  async add(host: HostConfig): Promise<void> {
    if (host.name === LOCAL_HOST.name && host.kind !== 'local') {
      throw new AppError('invalid-input', `'${LOCAL_HOST.name}' names this machine's own Incus; pick another name for a remote host`);
    }
    await this.update((hosts) => {
      if (hosts.some((candidate) => candidate.name === host.name)) {
        throw new AppError('already-exists', `a host named '${host.name}' already exists; remove it first or pick another name`);
      }
      return [...hosts, host];
    });
  }

  async remove(name: string): Promise<void> {
    await this.update((hosts) => {
      if (!hosts.some((host) => host.name === name)) {
        throw new AppError('not-found', name === LOCAL_HOST.name ? 'the local host is built in and cannot be removed' : `no host named '${name}'`);
      }
      return hosts.filter((host) => host.name !== name);
    });
  }

  /** Changes one saved host (its pinned certificate) as the file holds it now. */
  async modify(name: string, change: (host: HostConfig) => HostConfig): Promise<void> {
    await this.update((hosts) => {
      if (!hosts.some((host) => host.name === name)) throw new AppError('not-found', `no host named '${name}'`);
      return hosts.map((host) => (host.name === name ? change(host) : host));
    });
  }

  /**
   * Follows the file as other processes change it: each change is reloaded (`changed` tells what
   * differs); a failure to read it is a `warning`. Returns the function that stops watching.
   */
  watch(): () => void {
    const failed = (error: unknown) => this.warn(`${this.path} changed but could not be read again: ${error instanceof Error ? error.message : String(error)}`);
    return watchFile(this.path, () => void this.reload().catch(failed), failed);
  }

  /** Reads the file again (another process may have changed it); `changed` says what differs. */
  reload(): Promise<void> {
    return this.serial(async () => {
      const hosts = parseHosts(await this.readText());
      // A corrupt file is moved aside under the lock, so that no two processes race to do it.
      this.replace(typeof hosts === 'string' ? await withFileLock(this.path, () => this.readCurrent()) : hosts);
    });
  }

  /** Applies `change` to the hosts the file holds now, under the lock, and writes the result. */
  private update(change: (hosts: HostConfig[]) => HostConfig[]): Promise<void> {
    return this.serial(() => withFileLock(this.path, async () => {
      const current = await this.readCurrent();
      this.replace(current); // what other processes wrote is seen even if `change` refuses
      const file = HostsFileSchema.parse({ version: 1, hosts: change(current) });
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
      this.replace(file.hosts);
    }));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The hosts the file holds now; a corrupt file is set aside and reported. Call with the lock held. */
  private async readCurrent(): Promise<HostConfig[]> {
    for (;;) {
      const hosts = parseHosts(await this.readText());
      if (typeof hosts !== 'string') return hosts;
      const backup = await this.setAside();
      if (!backup) continue; // someone else moved it meanwhile: read what is there now
      this.warn(`${this.path} could not be read (${hosts}); it was kept as ${backup} and no saved hosts were loaded`);
      return [];
    }
  }

  /** The file's text, or undefined when there is none. */
  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Moves the file to a backup name no other process picks (time, pid, random suffix), or returns
   * undefined if it is already gone.
   */
  private async setAside(): Promise<string | undefined> {
    const backup = `${this.path}.${timestampedName('corrupt', this.now())}-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      await rename(this.path, backup);
      return backup;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private warn(message: string): void {
    this.problems.push(message);
    this.emit('warning', message);
  }

  private replace(hosts: HostConfig[]): void {
    const diff = diffHosts(this.hosts, hosts);
    this.hosts = hosts;
    if (diff.added.length || diff.removed.length || diff.changed.length) this.emit('changed', diff);
  }
}

/** Which hosts `after` adds, removes or changes compared with `before`. */
export function diffHosts(before: HostConfig[], after: HostConfig[]): HostsDiff {
  const old = new Map(before.map((host) => [host.name, JSON.stringify(host)]));
  const now = new Map(after.map((host) => [host.name, JSON.stringify(host)]));
  return {
    added: [...now.keys()].filter((name) => !old.has(name)),
    removed: [...old.keys()].filter((name) => !now.has(name)),
    changed: [...now].filter(([name, text]) => old.has(name) && old.get(name) !== text).map(([name]) => name),
  };
}

export type HostList = Pick<HostRegistry, 'list' | 'get'>;
