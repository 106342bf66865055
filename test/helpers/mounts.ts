import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runProcess, type Fixtures } from './incus';

/** Where code-on-incus mounts the project, and the device name it uses for it here. */
export const WORKSPACE = '/workspace';
export const ARCHIVE = '/var/lib/coi-desktop/mounts/workspace.tar';

/**
 * A running container with a host folder mounted at /workspace, as code-on-incus sets it up. `shift=true`
 * (an idmapped mount, supported by this kernel and the dir pool) lets the container's root write it.
 */
export async function mountedContainer(fixtures: Fixtures, name: string, files: Record<string, string>): Promise<{ name: string; dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'coi-workspace-'));
  for (const [path, content] of Object.entries(files)) writeHostFile(dir, path, content);
  await fixtures.launch(name);
  await fixtures.incus('config', 'device', 'add', name, 'workspace', 'disk', `source=${dir}`, `path=${WORKSPACE}`, 'shift=true');
  return { name, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeHostFile(dir: string, path: string, content: string): void {
  const file = join(dir, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
}

/** Every file under `dir` with its content, keyed by relative path: what a user would compare. */
export function folderContent(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else found[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return found;
}

/** Whether the mount archive is in the live container's root filesystem (running or stopped). */
export async function archiveInContainer(name: string, project?: string): Promise<boolean> {
  const run = await runProcess('incus', [...(project ? ['--project', project] : []), 'file', 'pull', `${name}${ARCHIVE}`, '-']);
  if (run.code === 0) return true;
  if (/not exist|not found/i.test(run.stderr)) return false;
  throw new Error(`cannot tell whether ${ARCHIVE} is in '${name}': ${run.stderr.trim()}`);
}
