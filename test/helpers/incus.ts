import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { IncusClient } from '../../src/main/incus/client';
import { createLocalDispatcher } from '../../src/main/incus/http';
import { findLocalSocket } from '../../src/main/incus/local-socket';

/** The image scripts/provision-incus.sh imports. */
export const TEST_IMAGE = process.env.COI_TEST_IMAGE ?? 'coi-test-busybox';

/** The `incus` command itself: fixtures and checks go through it, independent of the code under test. */
export async function incus(...args: string[]): Promise<string> {
  const run = await runProcess('incus', args);
  if (run.code !== 0) throw new Error(`incus ${args.join(' ')} failed (${run.code}): ${run.stderr.trim()}`);
  return run.stdout;
}

export interface ProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with standard input closed (`incus init` reads YAML from a non-terminal stdin). */
export function runProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessRun> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

export function requireDaemon(): void {
  const socket = findLocalSocket();
  if (!existsSync(socket)) {
    throw new Error(`no Incus socket at ${socket}: run scripts/provision-incus.sh (as root) before the integration tests`);
  }
}

/** A unique instance name with the `test-` prefix the tests own. */
export function testName(label: string): string {
  return `test-${label}-${randomBytes(3).toString('hex')}`;
}

/** Tracks the instances a test file makes and removes them at the end. */
export class Fixtures {
  private readonly made = new Set<string>();

  /** `project`: an Incus project of the test's own (see `inProject`), so what it lists is only its own. */
  constructor(readonly project?: string) {}

  /** Fixtures in a new project that uses the default project's images and profiles. */
  static async inProject(label: string): Promise<Fixtures> {
    const project = testName(label);
    await incus('project', 'create', project, '-c', 'features.images=false', '-c', 'features.profiles=false', '-c', 'features.storage.volumes=false');
    return new Fixtures(project);
  }

  /** `incus ARGS` in this fixture's project. */
  incus(...args: string[]): Promise<string> {
    return incus(...(this.project ? ['--project', this.project] : []), ...args);
  }

  async launch(name: string, options: { stopped?: boolean; config?: Record<string, string> } = {}): Promise<string> {
    const config = Object.entries(options.config ?? {}).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    await this.incus(options.stopped ? 'init' : 'launch', TEST_IMAGE, name, '-q', ...config);
    this.made.add(name);
    return name;
  }

  /** Registers an instance the code under test created, so it is removed too. */
  adopt(name: string): void {
    this.made.add(name);
  }

  async cleanup(): Promise<void> {
    const names = [...this.made];
    this.made.clear();
    // One by one: a fixture the test removed itself must not keep the others alive.
    await Promise.all(names.map((name) => this.incus('delete', '-f', name).catch(() => undefined)));
    if (this.project) await incus('project', 'delete', this.project).catch(() => undefined);
  }
}

export async function writeFile(container: string, path: string, content: string): Promise<void> {
  await incus('exec', container, '--', 'sh', '-c', `printf %s '${content}' > ${path}`);
}

/** Reads a file of a container, running or stopped. */
export async function readFile(container: string, path: string): Promise<string> {
  return incus('file', 'pull', `${container}${path}`, '-');
}

export async function snapshotNames(container: string): Promise<string[]> {
  const out = await incus('snapshot', 'list', container, '--format', 'csv', '-c', 'n');
  return out.split('\n').filter(Boolean).sort();
}

export async function status(container: string): Promise<string> {
  return (await incus('list', `^${container}$`, '--format', 'csv', '-c', 's')).trim();
}

/** A client of the local daemon, in `project` when given. */
export function localClient(project?: string): IncusClient {
  const socket = findLocalSocket();
  return new IncusClient({ dispatcher: createLocalDispatcher(socket), endpoint: socket, ...(project ? { project } : {}) });
}
