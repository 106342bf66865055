import type { Container } from '../../../shared/model';

/** Whether the Create dialog archives the mounted host folders: remembered per container, on by default for COI containers. */
const key = (host: string, container: string) => `coi-desktop:include-mounts:${host}:${container}`;

export function includeMountsChoice(host: string, container: Container): boolean {
  const saved = readStorage(key(host, container.name));
  return saved === null ? container.coi : saved === 'true';
}

export function rememberIncludeMounts(host: string, container: string, include: boolean): void {
  try {
    localStorage.setItem(key(host, container), String(include));
  } catch {
    // storage full or disabled: the choice is simply not remembered
  }
}

function readStorage(name: string): string | null {
  try {
    return localStorage.getItem(name);
  } catch {
    return null;
  }
}

/** The mounted host folders a snapshot can include. */
export const hostFolders = (container: Container) => (container.notCaptured ?? []).filter((mount) => mount.kind === 'host-folder');
