import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** code-on-incus names a container `<prefix><first 8 hex of sha256(absolute workspace)>-<slot>`. */
export function coiPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.COI_CONTAINER_PREFIX || 'coi-';
}

export function workspaceHash(workspace: string): string {
  return createHash('sha256').update(resolve(workspace)).digest('hex').slice(0, 8);
}

export function isCoiContainer(name: string, prefix: string): boolean {
  return name.startsWith(prefix);
}

/** The containers of `workspace` among `names`, ordered by slot. */
export function workspaceContainers(names: readonly string[], workspace: string, prefix: string): string[] {
  const stem = `${prefix}${workspaceHash(workspace)}-`;
  const slotOf = (name: string) => Number(name.slice(stem.length));
  return names
    .filter((name) => name.startsWith(stem) && /^\d+$/.test(name.slice(stem.length)))
    .sort((a, b) => slotOf(a) - slotOf(b));
}
