import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { HostsFileSchema, LOCAL_HOST, type HostConfig } from '../../shared/hosts';
import { timestampedName } from '../../shared/names';
import { writeFileAtomic } from '../config/atomic-file';
import { AppError } from '../errors';

export const HOSTS_FILE = 'hosts.json';

/**
 * The hosts the user manages: `hosts.json` in the config directory, zod-validated, written
 * atomically. The machine's own Incus (`local`) is always there unless the file configures it.
 * A corrupt file is moved aside as a backup and reported, never silently replaced.
 */
export class HostRegistry {
  private hosts: HostConfig[] = [];
  /** Set when the file could not be read; say it to the user once. */
  warning: string | undefined;

  private constructor(private readonly path: string) {}

  static async open(configDir: string, now: () => Date = () => new Date()): Promise<HostRegistry> {
    const registry = new HostRegistry(join(configDir, HOSTS_FILE));
    await registry.load(now);
    return registry;
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
    if (this.hosts.some((candidate) => candidate.name === host.name) || (host.name !== LOCAL_HOST.name && this.list().some((candidate) => candidate.name === host.name))) {
      throw new AppError('already-exists', `a host named '${host.name}' already exists; remove it first or pick another name`);
    }
    await this.save([...this.hosts, host]);
  }

  async remove(name: string): Promise<void> {
    if (!this.hosts.some((host) => host.name === name)) {
      throw new AppError('not-found', name === LOCAL_HOST.name ? "the local host is built in and cannot be removed" : `no host named '${name}'`);
    }
    await this.save(this.hosts.filter((host) => host.name !== name));
  }

  private async save(hosts: HostConfig[]): Promise<void> {
    const file = HostsFileSchema.parse({ version: 1, hosts });
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
    this.hosts = file.hosts;
  }

  private async load(now: () => Date): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const problem = parseProblem(text);
    if (typeof problem !== 'string') {
      this.hosts = problem;
      return;
    }
    const backup = `${this.path}.${timestampedName('corrupt', now())}`;
    await rename(this.path, backup);
    this.warning = `${this.path} could not be read (${problem}); it was kept as ${backup} and no saved hosts were loaded`;
  }
}

/** The hosts in `text`, or what is wrong with it. */
function parseProblem(text: string): HostConfig[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const parsed = HostsFileSchema.safeParse(json);
  if (parsed.success) return parsed.data.hosts;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`;
}

export type HostList = Pick<HostRegistry, 'list' | 'get'>;

