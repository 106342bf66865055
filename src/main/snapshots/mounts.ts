import { z } from 'zod';
import { HeldMountSchema, type HeldMount, type NotCaptured } from '../../shared/model';
import { AppError } from '../errors';

/**
 * What Incus snapshots leave out: they hold a container's root filesystem only, so every other disk
 * device — a folder mounted from the host, an attached custom volume — is neither captured nor restored.
 */

type Devices = Record<string, Record<string, string>>;

/** Config key (on the instance, so each snapshot keeps its own copy) naming the archives a snapshot holds. */
export const HELD_MOUNTS_KEY = 'user.coi-desktop.snapshot-mounts';
/** Config key with the names left out of mount archives, comma-separated. */
export const EXCLUDES_KEY = 'user.coi-desktop.mount-excludes';
export const DEFAULT_EXCLUDES: readonly string[] = ['node_modules', '.venv', 'target', 'dist', '.cache'];
/** Where the archives live inside the container's root filesystem while a snapshot is taken. */
export const ARCHIVE_DIR = '/var/lib/coi-desktop/mounts';

/** Every disk device except the root disk, sorted by path: what no snapshot of the container holds. */
export function notCaptured(devices: Devices): NotCaptured[] {
  const found: NotCaptured[] = [];
  for (const [device, config] of Object.entries(devices)) {
    if (config.type !== 'disk' || !config.path || config.path === '/' || !config.source) continue;
    if (config.pool) found.push({ device, path: config.path, source: `${config.pool}/${config.source}`, kind: 'custom-volume' });
    else found.push({ device, path: config.path, source: config.source, kind: 'host-folder' });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** The host folders `--include-mounts` archives: writable ones (a read-only mount cannot be put back, nor changed). */
export function archivableMounts(devices: Devices): NotCaptured[] {
  return notCaptured(devices).filter((mount) => mount.kind === 'host-folder' && devices[mount.device]?.readonly !== 'true');
}

/** What a snapshot does not hold: its disks less the folders it holds archives of. */
export function notCapturedBySnapshot(devices: Devices, held: readonly HeldMount[]): NotCaptured[] {
  const heldDevices = new Set(held.map((mount) => mount.device));
  return notCaptured(devices).filter((mount) => !heldDevices.has(mount.device));
}

/** The archives a snapshot (or the live instance, from a half-finished run) records in its config. */
export function heldMounts(config: Record<string, string>): HeldMount[] {
  const raw = config[HELD_MOUNTS_KEY];
  if (!raw) return [];
  try {
    const parsed = z.array(HeldMountSchema).safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

export const heldMountsValue = (held: readonly HeldMount[]) => JSON.stringify(held);

/** The exclude list of a container: its config key, else the default. */
export function mountExcludes(config: Record<string, string>): string[] {
  const raw = config[EXCLUDES_KEY];
  if (raw === undefined) return [...DEFAULT_EXCLUDES];
  return raw.split(',').map((name) => name.trim()).filter(Boolean);
}

/** The config value of an exclude list; an empty list is `,` (an empty value would remove the key and bring the default back). */
export const excludesValue = (names: readonly string[]) => (names.length > 0 ? names.join(',') : ',');

/** A name to leave out: a file or folder name (a `find -name` pattern), never a path. */
export function excludeProblem(name: string): string | null {
  if (name.trim() === '') return 'an excluded name may not be empty';
  if (name.includes('/')) return `'${name}' is a path: exclude names match a file or folder name at any depth (e.g. node_modules)`;
  if (name.includes(',') || [...name].some((char) => char.charCodeAt(0) < 0x20)) return `'${name}' may not contain commas or control characters`;
  if (name === '.' || name === '..') return `'${name}' cannot be excluded`;
  return null;
}

export function assertExcludes(names: readonly string[]): void {
  for (const name of names) {
    const problem = excludeProblem(name);
    if (problem) throw new AppError('invalid-input', problem);
  }
}

/** The archive file of one device inside the container; device names are kept to a safe alphabet. */
export const archivePath = (device: string) => `${ARCHIVE_DIR}/${device.replace(/[^A-Za-z0-9._-]/g, '_')}.tar`;

export { describeMount } from '../../shared/mount-text';
