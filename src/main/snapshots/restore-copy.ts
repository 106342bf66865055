import type { InstanceFull } from '../incus/api-schemas';
import type { IncusClient } from '../incus/client';
import { execInstanceBytes, getPoolDriver } from '../incus/instances';
import { AppError, toErrorInfo } from '../errors';
import { escapedPath, LISTING_TOOLS, listingArgs, nameBytes, parseListing, type Listing } from './diff/exec-manifest';
import { MARGIN } from './diff/record';
import { diskMounts } from './diff/listing-request';
import { listingExec } from './diff/sources';

/**
 * Incus's `dir` driver restores a container by copying the snapshot over it with rsync, whose quick
 * check leaves a file whose size and mtime are the snapshot's as it is: a file rewritten since the
 * snapshot with the same size and its mtime kept or set back (an archive extracted, `cp -p`,
 * `rsync -a`) would not be restored. Before a running container is stopped for a restore, such files
 * are found by their ctime (which no tool can set back) and their mtime set to now, so rsync copies
 * the snapshot's version. Copy-on-write drivers (zfs, btrfs, lvm, ceph) roll back and need nothing.
 */

/** The storage drivers whose restore copies files with rsync's quick check. */
const COPYING_DRIVERS = new Set(['dir']);

/** What a restore says when it could not make sure of such files. */
export const KEPT_MTIME_WARNING = 'on a dir storage pool, files changed since the snapshot with their size and mtime kept may not have been restored';

/**
 * Whether restoring `instance` copies its files with rsync: a container whose root disk is on a
 * `dir` pool. A pool that cannot be read (a project without access to it) counts as one.
 */
export async function restoresByCopy(client: IncusClient, instance: InstanceFull): Promise<boolean> {
  if (instance.type !== 'container') return false;
  const pool = Object.values(instance.expanded_devices).find((device) => device.type === 'disk' && device.path === '/')?.pool;
  if (!pool) return true;
  return getPoolDriver(client, pool).then(
    (driver) => COPYING_DRIVERS.has(driver),
    () => true,
  );
}

/**
 * Lists the running container and sets to now the mtime of every regular file changed since the
 * snapshot (`createdAt`) whose mtime is older than it, so the restore copies the snapshot's version.
 * Returns how many; throws when the listing or the touch fails.
 */
export async function markKeptMtimes(client: IncusClient, instance: InstanceFull, createdAt: string, signal?: AbortSignal): Promise<number> {
  const takenAt = Math.floor(Date.parse(createdAt) / 1000);
  if (!Number.isSafeInteger(takenAt)) throw new AppError('internal', `the snapshot's creation time '${createdAt}' cannot be read`);
  const ctx = { client, container: instance.name, signal };
  const mounts = diskMounts(instance);
  const listing = await listingExec(ctx, listingArgs('none', ['/'], mounts), (output) => parseListing(output, mounts));
  if (!listing) throw new AppError('operation-failed', `the container lacks a tool the listing needs (${LISTING_TOOLS.join(', ')})`);
  const names = keptMtimeFiles(listing, takenAt);
  await touchFiles(client, instance.name, names, signal);
  return names.length;
}

/**
 * The names of the regular files changed (ctime) since MARGIN seconds before `takenAt` whose mtime is
 * before `takenAt` plus MARGIN: their mtime was kept or set back. A file changed in the margin is
 * marked too, which only costs its copy.
 */
export function keptMtimeFiles(listing: Listing, takenAt: number): Buffer[] {
  const names: Buffer[] = [];
  for (const file of listing.files.values()) {
    if (file.stat.kind === 'file' && file.ctime >= takenAt - MARGIN && file.mtime < takenAt + MARGIN) names.push(nameBytes(listing, file));
  }
  return names;
}

/** Sets the mtime of the files named by its arguments (each written with `escapedPath`) to now; creates none. */
const TOUCH_SCRIPT = `printf '%b\\0' "$@" | xargs -0 -r touch -c`;

/** Arguments per exec of TOUCH_SCRIPT, in bytes: far below any ARG_MAX. */
const TOUCH_BYTES = 256 * 1024;

/** Touches `names` inside the container, the names passed as arguments (never through a shell string). */
async function touchFiles(client: IncusClient, container: string, names: Buffer[], signal?: AbortSignal): Promise<void> {
  for (let start = 0; start < names.length; ) {
    const args: string[] = [];
    for (let bytes = 0; start < names.length && bytes < TOUCH_BYTES; start++) {
      const arg = escapedPath(names[start]!);
      args.push(arg);
      bytes += arg.length + 1;
    }
    const result = await execInstanceBytes(client, container, ['sh', '-c', TOUCH_SCRIPT, 'sh', ...args], { signal });
    if (result.exitCode !== 0) {
      throw new AppError('operation-failed', `touch inside ${container} failed (exit code ${result.exitCode}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`);
    }
  }
}

/**
 * Before a restore of `instance` to the snapshot created at `createdAt`: the warning the result
 * carries, or undefined. A running container (`running`: it is stopped next) on a copying pool is
 * listed and its kept-mtime files marked; a stopped one cannot be listed, so it is warned about.
 */
export async function prepareCopyRestore(client: IncusClient, instance: InstanceFull, createdAt: string, running: boolean, signal?: AbortSignal): Promise<string | undefined> {
  if (!(await restoresByCopy(client, instance))) return undefined;
  if (!running) return `${KEPT_MTIME_WARNING} (they are looked for only in a running container restored with --stop)`;
  try {
    await markKeptMtimes(client, instance, createdAt, signal);
    return undefined;
  } catch (error) {
    if (signal?.aborted) throw error;
    return `${KEPT_MTIME_WARNING} (looking for them failed: ${toErrorInfo(error).message})`;
  }
}
