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

/** A test for "`path` is `prefix` or below it"; `*` in the prefix stands for one whole path segment. */
export function prefixMatcher(prefix: string): (path: string) => boolean {
  const clean = prefix.replace(/\/+$/, '');
  if (clean === '') return () => true;
  if (!clean.includes('*')) return (path) => path === clean || (path.startsWith(clean) && path.charCodeAt(clean.length) === 0x2f);
  const pattern = clean
    .split('/')
    .map((part) => (part === '*' ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  const regex = new RegExp(`^${pattern}(?:/|$)`);
  return (path) => regex.test(path);
}

/** Whether `path` is `prefix` or below it (see `prefixMatcher`). */
export function underPrefix(path: string, prefix: string): boolean {
  return prefixMatcher(prefix)(path);
}

/** Which paths a comparison covers: below one of `paths` (all when empty), not below an excluded pattern or a mount point. */
export function pathFilter(paths: readonly string[], excluded: readonly string[], mounts: readonly string[]): (path: string) => boolean {
  const wanted = paths.map(prefixMatcher);
  const unwanted = [...excluded, ...mounts].map(prefixMatcher);
  return (path) => (wanted.length === 0 || wanted.some((match) => match(path))) && !unwanted.some((match) => match(path));
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
