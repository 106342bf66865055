import { describe, expect, it } from 'vitest';
import type { FileStat } from '../../src/shared/diff';
import { DIFF_DEFAULT_EXCLUDES } from '../../src/shared/diff';
import type { ListedFile, Listing } from '../../src/main/snapshots/diff/exec-manifest';
import { RECORD_PRUNES, recordOf, uncoveredPath } from '../../src/main/snapshots/diff/record';

/**
 * The record of a snapshot made from two listings after it (see record.ts): which entries it may
 * take as the snapshot's, and which comparisons it covers.
 */
const TAKEN = 1_800_000_000; // the snapshot's created_at, in seconds
const OLD = TAKEN - 100;

interface Entry {
  kind?: FileStat['kind'];
  ino: number;
  ctime: number;
  sha256?: string;
}

function listing(entries: Record<string, Entry>): Listing {
  const files = new Map<string, ListedFile>();
  for (const [path, entry] of Object.entries(entries)) {
    const kind = entry.kind ?? (path === '/' || !path.includes('.') ? 'dir' : 'file');
    const stat: FileStat = { kind, size: 1, mode: '0644', uid: 0, gid: 0, mtime: '2020-01-01T00:00:00.000Z' };
    if (kind === 'file') stat.sha256 = 'sha256' in entry ? entry.sha256 : 'a'.repeat(64);
    files.set(path, { stat, nameStart: 0, nameEnd: 0, ino: entry.ino, ctime: entry.ctime, mtime: 0, device: 1, linkLength: 0 });
  }
  return { listedAt: TAKEN + 1, files, mounts: ['/workspace'], output: Buffer.alloc(0) };
}

const TREE: Record<string, Entry> = {
  '/': { ino: 1, ctime: OLD },
  '/etc': { ino: 2, ctime: OLD },
  '/etc/hosts.txt': { ino: 3, ctime: OLD },
  '/w': { ino: 4, ctime: OLD },
  '/w/a.txt': { ino: 5, ctime: OLD },
  '/w/sub': { ino: 6, ctime: OLD },
  '/w/sub/b.txt': { ino: 7, ctime: OLD },
};

const record = (first: Record<string, Entry>, second: Record<string, Entry> = first) => recordOf(listing(first), {}, listing(second), TAKEN);
const without = (entries: Record<string, Entry>, path: string) => Object.fromEntries(Object.entries(entries).filter(([name]) => name !== path));
const ownUnknown = (made: ReturnType<typeof record>) => made.unknown.filter((path) => !RECORD_PRUNES.includes(path));

describe("a snapshot's record", () => {
  it('takes every entry unchanged since two seconds before the snapshot began, and what the listing left out is unknown', () => {
    const made = record(TREE);
    expect([...made.manifest.files.keys()]).toEqual(Object.keys(TREE));
    expect(made.unknown).toEqual(RECORD_PRUNES);
    expect(made.manifest.mounts).toEqual(['/workspace']);
  });

  it('does not take an entry whose ctime is within two seconds of the snapshot or later, nor anything below such a folder', () => {
    const margin = record({ ...TREE, '/w/a.txt': { ino: 5, ctime: TAKEN - 1 } });
    expect(ownUnknown(margin)).toEqual(['/w/a.txt']);
    expect(margin.manifest.files.has('/w/a.txt')).toBe(false);
    expect(ownUnknown(record({ ...TREE, '/w/a.txt': { ino: 5, ctime: TAKEN - 2 } }))).toEqual([]);

    const folder = record({ ...TREE, '/w/sub': { ino: 6, ctime: TAKEN + 1 } });
    expect(ownUnknown(folder)).toEqual(['/w/sub']); // the topmost only: what is below it is unknown with it
    expect(folder.manifest.files.has('/w/sub/b.txt')).toBe(false);
    expect(folder.manifest.files.has('/w/a.txt')).toBe(true);
  });

  it('does not take an entry the second listing saw changed (another ctime or inode) or did not see, nor a file it could not hash', () => {
    expect(ownUnknown(record(TREE, { ...TREE, '/w/a.txt': { ino: 5, ctime: TAKEN + 3 } }))).toEqual(['/w/a.txt']);
    expect(ownUnknown(record(TREE, { ...TREE, '/w/a.txt': { ino: 50, ctime: OLD } }))).toEqual(['/w/a.txt']);
    expect(ownUnknown(record(TREE, without(TREE, '/w/sub/b.txt')))).toEqual(['/w/sub/b.txt']);
    expect(ownUnknown(record({ ...TREE, '/w/a.txt': { ino: 5, ctime: OLD, sha256: undefined } }))).toEqual(['/w/a.txt']);
  });

  it('makes a folder unknown when an entry below it was listed without it (it vanished before its stat)', () => {
    expect(ownUnknown(record(without(TREE, '/w/sub')))).toEqual(['/w/sub']);
  });
});

describe('whether a record covers a comparison', () => {
  const made = record({ ...TREE, '/w/sub': { ino: 6, ctime: TAKEN } });
  const compared = (paths: string[], excluded: string[] = [...DIFF_DEFAULT_EXCLUDES], packages = paths.length === 0) => ({ paths, excluded, packages });

  it('does not when the comparison reaches an unknown path: everything, a --path at it, above it or below it', () => {
    expect(uncoveredPath(made, ['/workspace'], compared([]))).toBe('/w/sub');
    expect(uncoveredPath(made, ['/workspace'], compared(['/w']))).toBe('/w/sub');
    expect(uncoveredPath(made, ['/workspace'], compared(['/w/sub/b.txt']))).toBe('/w/sub');
    expect(uncoveredPath(made, ['/workspace'], compared(['/*/sub']))).toBe('/w/sub');
  });

  it('does when the comparison leaves the unknown paths out: other --path prefixes, excluded patterns', () => {
    expect(uncoveredPath(made, ['/workspace'], compared(['/w/a.txt']))).toBeUndefined();
    expect(uncoveredPath(made, ['/workspace'], compared(['/etc']))).toBeUndefined();
    expect(uncoveredPath(made, ['/workspace'], compared([], [...DIFF_DEFAULT_EXCLUDES, '/w/sub']))).toBeUndefined();
  });

  it('does not with --all-paths (the record left out /tmp and the like), nor where its mount point is none on the other side', () => {
    const clean = record(TREE);
    expect(uncoveredPath(clean, ['/workspace'], compared([]))).toBeUndefined();
    expect(uncoveredPath(clean, ['/workspace'], compared([], []))).toBe('/proc');
    expect(uncoveredPath(clean, [...RECORD_PRUNES, '/workspace'], compared([], []))).toBeUndefined(); // all mount points there
    expect(uncoveredPath(clean, [], compared([]))).toBe('/workspace'); // the snapshot holds what is below it
  });

  it('does not when packages are compared and a package database is in an unknown folder', () => {
    const dpkg = record({ ...TREE, '/var': { ino: 8, ctime: OLD }, '/var/lib': { ino: 9, ctime: TAKEN } });
    expect(uncoveredPath(dpkg, ['/workspace'], compared(['/w'], [...DIFF_DEFAULT_EXCLUDES], true))).toBe('/var/lib');
    expect(uncoveredPath(dpkg, ['/workspace'], compared(['/w'], [...DIFF_DEFAULT_EXCLUDES], false))).toBeUndefined();
  });
});
