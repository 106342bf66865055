import { DIFF_DEFAULT_EXCLUDES } from '../../../shared/diff';
import type { InstanceFull } from '../../incus/api-schemas';
import type { ContainerKey } from './cache';
import { hashesAfter, LISTING_SCRIPT, LISTING_TOOLS, listingArgs } from './exec-manifest';

// The listing of a running container's current state as a diff asks for it: what it covers and the
// exec's command, named once for the diff (sources.ts) and the CLI, which may send it before it
// loads the rest (cli/early-listing.ts).

/** The listing's exit code when a tool it needs is missing in the container. */
export const TOOLS_MISSING = 90;

/** What a diff leaves out: the default exclusions, or nothing with `--all-paths`. */
export function excludedPaths(allPaths: boolean): string[] {
  return allPaths ? [] : [...DIFF_DEFAULT_EXCLUDES];
}

/** Which part of a running container a listing covers: below `roots`, not below `prunes` (`find -path` patterns). */
export interface ListingScope {
  roots: string[];
  prunes: string[];
}

/** What the listing of the current state covers: the `--path` prefixes (else everything), the exclusions `find` can prune. */
export function currentScope(paths: readonly string[], excluded: readonly string[]): ListingScope {
  return { roots: paths.length > 0 ? [...paths] : ['/'], prunes: excluded.filter((pattern) => !pattern.includes('*')) };
}

/**
 * The arguments of the listing `listInside` makes of `instance`: below the scope's roots, its prunes
 * and the instance's other disks left out, hashing what the kept hashes' first line (`previous`) says.
 */
export function currentListingArgs(instance: Pick<InstanceFull, 'expanded_devices'>, scope: ListingScope, previous: { listedAt: number } | undefined): string[] {
  return listingArgs(hashesAfter(previous), scope.roots, [...scope.prunes, ...diskMounts(instance)]);
}

/**
 * The hashes of a container's last listing are its own until it starts again: a restore (which
 * stops and starts it) can put back, on a copy-on-write driver, inodes whose ctime is an old one.
 */
export function hashesKey(ctx: { host: string; project: string; container: string }, instance: Pick<InstanceFull, 'created_at' | 'last_used_at'>): ContainerKey {
  return { host: ctx.host, project: ctx.project, container: ctx.container, createdAt: instance.created_at, startedAt: instance.last_used_at ?? '' };
}

/** The command that runs LISTING_SCRIPT with `args`, once it has checked the container has the tools. */
export function listingCommand(args: readonly string[]): string[] {
  const check = `for t in ${LISTING_TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || exit ${TOOLS_MISSING}; done; `;
  return ['sh', '-c', check + LISTING_SCRIPT, 'sh', ...args];
}

/** Where the container's disks other than its root are mounted: a snapshot does not hold them. */
export function diskMounts(instance: Pick<InstanceFull, 'expanded_devices'>): string[] {
  return Object.values(instance.expanded_devices)
    .filter((device) => device.type === 'disk' && device.path && device.path !== '/')
    .map((device) => `/${device.path!.replace(/^\/+|\/+$/g, '')}`);
}
