import { DIFF_DEFAULT_EXCLUDES, type FileStat } from '../../../shared/diff';
import type { InstanceFull, InstanceSnapshot } from '../../incus/api-schemas';
import { readInstance } from '../service';
import type { SnapshotKey, SnapshotRecord } from './cache';
import { listingArgs, parseListing, type Listing } from './exec-manifest';
import { PACKAGE_DB_PATHS, prefixesMatcher, underPrefix, type Manifest } from './manifest';
import { diskMounts } from './listing-request';
import { listInside, listingExec, type DiffContext } from './sources';

/**
 * A snapshot taken by coi-desktop is recorded right after: the running container is listed inside it
 * (as a diff lists its current state) and every entry that provably has not changed since the snapshot
 * began is kept as the snapshot's. A later diff of that snapshot against the container then needs no
 * image of it (Incus packing the snapshot is most of a cold diff), unless what it compares reaches a
 * path the record does not know.
 *
 * Why an entry is the snapshot's: Incus sets the snapshot's `created_at` before it copies anything. A
 * change to a file's content, metadata or name (in its folder) sets the ctime of what changed to the
 * kernel's clock, which user space cannot set back; a ctime at least MARGIN seconds older than
 * `created_at`, seen again unchanged by a second listing after the first had read everything, means
 * nothing changed from before the snapshot began until after the record read it. That is required of
 * the entry and of every folder above it (a folder whose entries did not change maps each name to the
 * same inode), so the entry's path, kind, mode, owner, size, target and content are the snapshot's,
 * and so is the set of names in each such folder (a deleted or created entry changes its folder's
 * ctime). Everything else is unknown: a diff whose comparison could reach it packs the snapshot.
 */

/** What a record lists: the root filesystem but what a diff leaves out by default (the patterns without `*`). */
export const RECORD_PRUNES: readonly string[] = DIFF_DEFAULT_EXCLUDES.filter((pattern) => !pattern.includes('*'));

/**
 * Seconds a ctime must be older than the snapshot's `created_at`: a change right after Incus read its
 * clock gets a ctime in that second or, the kernel's coarse clock lagging by up to a tick, the one
 * before.
 */
export const MARGIN = 2;

/**
 * Records snapshot `snapshot`, just taken of `instance` (as read before it was taken), in the cache.
 * Returns why it was not recorded, or undefined. Nothing here is needed: a diff without a record
 * packs the snapshot, so a failure only costs time.
 */
export async function recordSnapshot(ctx: DiffContext, instance: InstanceFull, snapshot: InstanceSnapshot): Promise<string | undefined> {
  // a virtual machine's files get their ctimes from its own kernel's clock, not the one Incus read
  if (instance.type !== 'container') return `${instance.name} is a ${instance.type}, not a container`;
  if (instance.status !== 'Running') return `the container is ${instance.status.toLowerCase()}`;
  const first = await listInside(ctx, instance, { roots: ['/'], prunes: [...RECORD_PRUNES] });
  if (!first) return 'the container lacks a tool the listing needs';
  // The second listing starts after the first has read every name, stat, link target and hash.
  const second = await listingExec(ctx, listingArgs('none', ['/'], [...RECORD_PRUNES, ...diskMounts(snapshot)]), (output) => parseListing(output, first.listing.mounts));
  if (!second) return 'the container lacks a tool the listing needs';
  const now = await readInstance(ctx.client, ctx.container);
  const restarted = restartedSince(now, snapshot);
  if (restarted) return restarted;
  // a disk mounted since the snapshot would have been listed as if the snapshot held what it shows
  const disks = (of: Pick<InstanceFull, 'expanded_devices'>) => diskMounts(of).join('\n');
  if (disks(instance) !== disks(snapshot) || disks(now) !== disks(snapshot)) return "the container's disks are not the snapshot's";
  const takenAt = Math.floor(Date.parse(snapshot.created_at) / 1000);
  // the container's clock is the daemon's (one kernel): a listing before the snapshot means it is not
  if (!Number.isSafeInteger(takenAt) || first.listing.listedAt < takenAt - 1) return 'the clocks of the container and of Incus disagree';
  await ctx.cache.writeRecord(recordKey(ctx, snapshot), recordOf(first.listing, first.manifest.packageDbs, second, takenAt));
  return undefined;
}

export function recordKey(ctx: DiffContext, snapshot: InstanceSnapshot): SnapshotKey {
  return { host: ctx.host, project: ctx.project, container: ctx.container, snapshot: snapshot.name, createdAt: snapshot.created_at };
}

/**
 * Why what the listings read may not be the snapshot's because the container started since the
 * snapshot began (a restore stops and starts it, and on a copy-on-write driver puts back old ctimes);
 * undefined when it did not.
 */
function restartedSince(now: InstanceFull, snapshot: InstanceSnapshot): string | undefined {
  if (now.status !== 'Running') return `the container is ${now.status.toLowerCase()}`;
  const started = Date.parse(now.last_used_at ?? '');
  if (!(started < Date.parse(snapshot.created_at))) return 'the container started again after the snapshot began';
  return undefined;
}

const parentOf = (path: string): string | undefined => (path === '/' ? undefined : path.slice(0, path.lastIndexOf('/')) || '/');

/**
 * The record of a snapshot that began at `takenAt` (epoch seconds) from two listings made after it:
 * an entry is the snapshot's when it and every folder above it are unchanged since MARGIN seconds
 * before (same inode and ctime in both listings, that ctime old enough) and a regular file was
 * hashed. The rest is unknown, each unknown folder with everything below it (only the topmost is
 * named), and so are the paths the listing left out. Sockets are left out as an image leaves them out.
 */
export function recordOf(first: Listing, packageDbs: Manifest['packageDbs'], second: Listing, takenAt: number): SnapshotRecord {
  const limit = takenAt - MARGIN;
  const known = new Set<string>();
  /** Unknown paths and what is below them. */
  const covered = new Set<string>();
  const files = new Map<string, FileStat>();
  const unknown: string[] = [...RECORD_PRUNES];
  const markUnknown = (path: string) => {
    unknown.push(path);
    covered.add(path);
  };
  for (const [path, entry] of first.files) {
    const parent = parentOf(path);
    if (parent !== undefined && !known.has(parent)) {
      if (!covered.has(parent)) markUnknown(parent); // a folder gone before its stat: unknown too
      covered.add(path);
      continue;
    }
    const again = second.files.get(path);
    const unchanged = again !== undefined && again.ino === entry.ino && again.device === entry.device && again.ctime === entry.ctime && entry.ctime <= limit;
    if (!unchanged || (entry.stat.kind === 'file' && entry.stat.sha256 === undefined)) {
      markUnknown(path);
      continue;
    }
    known.add(path);
    if (entry.stat.kind !== 'other') files.set(path, entry.stat);
  }
  const databases: Manifest['packageDbs'] = {};
  for (const manager of ['dpkg', 'apk'] as const) {
    const path = PACKAGE_DB_PATHS[manager];
    if (!known.has(path)) continue; // absent with its folder known, or unknown
    if (packageDbs[manager] === undefined) markUnknown(path); // read as absent while listed: it changed between
    else databases[manager] = packageDbs[manager];
  }
  return { manifest: { files, mounts: first.mounts, packageDbs: databases }, unknown };
}

/** What a diff compares: its `--path` prefixes (none: everything), what it leaves out, and whether the package databases. */
export interface Compared {
  paths: readonly string[];
  excluded: readonly string[];
  packages: boolean;
}

/**
 * The first path whose state in the snapshot the record does not know and that the comparison could
 * reach (its unknown paths, and its mount points that are not mount points of the other side, where
 * the snapshot holds what the record could not see); undefined when the record covers the comparison.
 * `mounts` are the other side's mount points, left out of the comparison on both sides.
 */
export function uncoveredPath(record: SnapshotRecord, mounts: readonly string[], compared: Compared): string | undefined {
  const regions = [...record.unknown, ...record.manifest.mounts.filter((mount) => !mounts.includes(mount))];
  const unwanted = prefixesMatcher([...compared.excluded, ...mounts]);
  const wanted = prefixesMatcher(compared.paths);
  const reaches = (region: string) =>
    !unwanted(region) && (compared.paths.length === 0 || wanted(region) || compared.paths.some((path) => startsWith(path, region)));
  const databases = compared.packages ? Object.values(PACKAGE_DB_PATHS) : [];
  return regions.find((region) => reaches(region) || databases.some((path) => underPrefix(path, region)));
}

/** Whether a `--path` prefix (`*`: any one segment) may name `region` or something below it. */
function startsWith(path: string, region: string): boolean {
  const prefix = path.split('/').filter(Boolean);
  const parts = region.split('/').filter(Boolean);
  return parts.every((part, index) => prefix[index] === undefined || prefix[index] === '*' || prefix[index] === part);
}
