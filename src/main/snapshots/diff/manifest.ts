import type { Change, DiffEntry, FileKind, FileStat } from '../../../shared/diff';

/**
 * What one side of a diff holds: every path with its kind, size, mode, owner, mtime, symlink target
 * and content hash. Built from a published image's tar or from a listing made inside the running
 * container; compared here, without any daemon.
 */
export interface Manifest {
  /** Absolute paths ("/", "/etc", "/etc/hosts") to what they are. */
  files: Map<string, FileStat>;
  /**
   * Mount points met while reading (the listing inside a running container does not descend into
   * other filesystems: /proc, /dev, a mounted host folder); a snapshot does not hold what is mounted
   * there, so they and what is below them are left out of the comparison on both sides.
   */
  mounts: string[];
  /** The package databases found on this side, as read. */
  packageDbs: { dpkg?: string; apk?: string };
}

/** Where each package database lives in a root filesystem. */
export const PACKAGE_DB_PATHS = { dpkg: '/var/lib/dpkg/status', apk: '/lib/apk/db/installed' } as const;

/** `"0644"`: permission bits (setuid, setgid and sticky included) as four octal digits. */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The same mode and mtime strings for the many files that share them. */
export class StatStrings {
  private readonly modes = new Map<number, string>();
  private readonly times = new Map<number, string>();

  mode(raw: number): string {
    let text = this.modes.get(raw);
    if (text === undefined) this.modes.set(raw, (text = octalMode(raw)));
    return text;
  }

  time(seconds: number): string {
    let text = this.times.get(seconds);
    if (text === undefined) this.times.set(seconds, (text = new Date(seconds * 1000).toISOString()));
    return text;
  }
}

/** The kind of a file from the type bits of a stat mode (`S_IFMT`). */
export function kindOfMode(mode: number): FileKind {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    default:
      return 'other';
  }
}

/** A regular expression source for `prefix` and everything below it; `*` stands for one whole path segment. */
function prefixPattern(prefix: string): string {
  return prefix
    .replace(/\/+$/, '')
    .split('/')
    .map((part) => (part === '*' ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
}

/** A test for "`path` is one of `prefixes` or below one"; `*` in a prefix stands for one whole path segment. */
export function prefixesMatcher(prefixes: readonly string[]): (path: string) => boolean {
  if (prefixes.some((prefix) => prefix.replace(/\/+$/, '') === '')) return () => true;
  if (prefixes.length === 0) return () => false;
  const regex = new RegExp(`^(?:${prefixes.map(prefixPattern).join('|')})(?:/|$)`);
  return (path) => regex.test(path);
}

/** A test for "`path` is `prefix` or below it"; `*` in the prefix stands for one whole path segment. */
export function prefixMatcher(prefix: string): (path: string) => boolean {
  return prefixesMatcher([prefix]);
}

/** Whether `path` is `prefix` or below it (see `prefixMatcher`). */
export function underPrefix(path: string, prefix: string): boolean {
  return prefixMatcher(prefix)(path);
}

/**
 * Which paths a comparison covers: below one of `paths` (all when empty), not below an excluded
 * pattern or a mount point. One regular expression each: tens of thousands of paths are tested.
 */
export function pathFilter(paths: readonly string[], excluded: readonly string[], mounts: readonly string[]): (path: string) => boolean {
  const wanted = paths.length === 0 ? () => true : prefixesMatcher(paths);
  const unwanted = prefixesMatcher([...excluded, ...mounts]);
  return (path) => wanted(path) && !unwanted(path);
}

export interface FileChanges {
  added: DiffEntry[];
  deleted: DiffEntry[];
  modified: DiffEntry[];
  metadata: DiffEntry[];
  compared: { from: number; to: number };
}

/** What differs about one path present on both sides; empty when nothing that is compared does (mtime is not). */
export function changesOf(before: FileStat, after: FileStat): Change[] {
  const changes: Change[] = [];
  if (before.kind !== after.kind) changes.push('kind');
  else if (before.kind === 'file' && (before.sha256 !== after.sha256 || before.size !== after.size)) changes.push('content');
  if (before.kind === 'symlink' && after.kind === 'symlink' && before.target !== after.target) changes.push('target');
  if (before.mode !== after.mode) changes.push('mode');
  if (before.uid !== after.uid || before.gid !== after.gid) changes.push('owner');
  return changes;
}

/**
 * Compares two manifests path by path, by content hash (a same-size edit is found) and metadata.
 * `include` says which paths count. Each list is sorted by path.
 */
export function compareManifests(from: Manifest, to: Manifest, include: (path: string) => boolean): FileChanges {
  const result: FileChanges = { added: [], deleted: [], modified: [], metadata: [], compared: { from: 0, to: 0 } };
  for (const [path, before] of from.files) {
    if (!include(path)) continue;
    result.compared.from++;
    const after = to.files.get(path);
    if (!after) {
      result.deleted.push({ path, kind: before.kind, before, after: null, changes: [] });
      continue;
    }
    const changes = changesOf(before, after);
    if (changes.length === 0) continue;
    const entry = { path, kind: after.kind, before, after, changes };
    (changes.includes('content') ? result.modified : result.metadata).push(entry);
  }
  for (const [path, after] of to.files) {
    if (!include(path)) continue;
    result.compared.to++;
    if (!from.files.has(path)) result.added.push({ path, kind: after.kind, before: null, after, changes: [] });
  }
  for (const list of [result.added, result.deleted, result.modified, result.metadata]) list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return result;
}
