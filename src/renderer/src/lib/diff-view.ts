import type { DiffEntry, DiffHunk, DiffResult, FileStat } from '../../../shared/diff';
import { humanSize } from '../../../shared/size';

/** How a path changed between the two sides of a comparison. */
export type ChangeKind = 'added' | 'deleted' | 'modified' | 'metadata';

/** One changed path, whatever list of the comparison it came from. */
export interface Change {
  path: string;
  change: ChangeKind;
  /** file, dir, symlink, … */
  kind: string;
  sizeBefore: number | null;
  sizeAfter: number | null;
  /** What else changed, in words: `mode 0644 → 0755`, `owner 0:0 → 1000:1000`. */
  detail: string;
}

/**
 * The marker of each kind of change, and the words that say it: the marker is never the only sign
 * (colour is not either); screen readers hear the label.
 */
export const MARKERS: Record<ChangeKind, { symbol: string; label: string }> = {
  added: { symbol: '+', label: 'added' },
  deleted: { symbol: '−', label: 'deleted' },
  modified: { symbol: '~', label: 'modified' },
  metadata: { symbol: '*', label: 'metadata changed' },
};

export type Counts = Record<ChangeKind, number>;

/** A line of the changed-files list: a directory's heading with its counts, or one path in it. */
export type DiffRow = { kind: 'dir'; key: string; dir: string; counts: Counts; total: number } | { kind: 'file'; key: string; name: string; change: Change; position: number };

/** Every changed path of a comparison, in one list sorted by directory, then name. */
export function changesOf(diff: DiffResult): Change[] {
  const as = (change: ChangeKind) => (entry: DiffEntry): Change => ({
    path: entry.path,
    change,
    kind: entry.kind,
    sizeBefore: fileSize(entry.before),
    sizeAfter: fileSize(entry.after),
    detail: metadataText(entry),
  });
  return [...diff.added.map(as('added')), ...diff.deleted.map(as('deleted')), ...diff.modified.map(as('modified')), ...diff.metadata.map(as('metadata'))].sort((a, b) => comparePaths(a.path, b.path));
}

const fileSize = (stat: FileStat | null) => (stat?.kind === 'file' ? stat.size : null);

/** What changed besides the content, in words: `mode 0644 → 0755, owner 0:0 → 1000:1000`. */
export function metadataText(entry: DiffEntry): string {
  const { before, after } = entry;
  if (!before || !after) return '';
  const said: Record<string, string> = {
    kind: `${before.kind} → ${after.kind}`,
    target: `link ${before.target ?? '?'} → ${after.target ?? '?'}`,
    mode: `mode ${before.mode} → ${after.mode}`,
    owner: `owner ${before.uid}:${before.gid} → ${after.uid}:${after.gid}`,
  };
  return entry.changes.filter((change) => change !== 'content').map((change) => said[change]).join(', ');
}

function comparePaths(a: string, b: string): number {
  const [dirA, dirB] = [dirOf(a), dirOf(b)];
  return dirA === dirB ? a.localeCompare(b) : dirA.localeCompare(dirB);
}

/** The directory a path is in: `/etc/hosts` → `/etc`, `/x` → `/`. */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function countChanges(changes: readonly Change[]): Counts {
  const counts: Counts = { added: 0, deleted: 0, modified: 0, metadata: 0 };
  for (const change of changes) counts[change.change] += 1;
  return counts;
}

/** The changes whose path holds every word of `query` (case-insensitive). */
export function filterChanges(changes: readonly Change[], query: string): Change[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return words.length === 0 ? [...changes] : changes.filter((change) => words.every((word) => change.path.toLowerCase().includes(word)));
}

/** The list's rows: each directory's heading (with its counts), then its changed paths; `changes` sorted by `changesOf`. */
export function diffRows(changes: readonly Change[]): DiffRow[] {
  const byDir = new Map<string, Change[]>();
  for (const change of changes) {
    const dir = dirOf(change.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), change]);
  }
  const rows: DiffRow[] = [];
  let position = 0;
  for (const [dir, inDir] of byDir) {
    rows.push({ kind: 'dir', key: `dir:${dir}`, dir, counts: countChanges(inDir), total: inDir.length });
    for (const change of inDir) rows.push({ kind: 'file', key: `${change.change}:${change.path}`, name: change.path.slice(dir === '/' ? 1 : dir.length + 1), change, position: position++ });
  }
  return rows;
}

/** "+2 −1 ~3": a directory's counts, leaving out the kinds it has none of. */
export function countsText(counts: Counts): string {
  return (Object.keys(MARKERS) as ChangeKind[]).filter((kind) => counts[kind] > 0).map((kind) => `${MARKERS[kind].symbol}${counts[kind]}`).join(' ');
}

/** The same counts in words, for screen readers and tooltips: "2 added, 1 deleted". */
export function countsWords(counts: Counts): string {
  return (Object.keys(MARKERS) as ChangeKind[]).filter((kind) => counts[kind] > 0).map((kind) => `${counts[kind]} ${MARKERS[kind].label}`).join(', ');
}

/** Sizes before and after: `1.2 KiB → 1.3 KiB`, or the one side there is. */
export function sizesText(change: Change): string {
  const size = (bytes: number | null) => (bytes === null ? '' : humanSize(bytes));
  if (change.change === 'added') return size(change.sizeAfter);
  if (change.change === 'deleted') return size(change.sizeBefore);
  if (change.sizeBefore === change.sizeAfter) return size(change.sizeAfter);
  return [size(change.sizeBefore), size(change.sizeAfter)].filter(Boolean).join(' → ');
}

/** What the list shows beside a path: what changed in its metadata for a metadata-only change, else its sizes (and any metadata change). */
export function changeText(change: Change): string {
  if (change.change === 'metadata') return change.detail;
  return [sizesText(change), change.detail].filter(Boolean).join(' · ');
}

/** One line of a unified diff: a hunk's heading, context, a removed or an added line, with its line numbers. */
export interface PatchLine {
  kind: 'hunk' | 'context' | 'del' | 'add' | 'note';
  old: number | null;
  new: number | null;
  text: string;
}

/** The lines of a unified diff's hunks, numbered on both sides. */
export function patchLines(hunks: readonly DiffHunk[]): PatchLine[] {
  const lines: PatchLine[] = [];
  for (const hunk of hunks) {
    lines.push({ kind: 'hunk', old: null, new: null, text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
    let [old, next] = [hunk.oldStart, hunk.newStart];
    for (const line of hunk.lines) {
      const text = line.slice(1);
      if (line.startsWith('+')) lines.push({ kind: 'add', old: null, new: next++, text });
      else if (line.startsWith('-')) lines.push({ kind: 'del', old: old++, new: null, text });
      else if (line.startsWith('\\')) lines.push({ kind: 'note', old: null, new: null, text: text.trim() });
      else lines.push({ kind: 'context', old: old++, new: next++, text });
    }
  }
  return lines;
}

/** A row of the side-by-side view: the old line on the left, the new one on the right (either may be empty). */
export interface SidePair {
  key: string;
  left: PatchLine | null;
  right: PatchLine | null;
}

/**
 * The side-by-side rows of a unified diff: context on both sides, and within each run of removed
 * then added lines the n-th removed line beside the n-th added one.
 */
export function sideBySide(lines: readonly PatchLine[]): SidePair[] {
  const pairs: SidePair[] = [];
  let dels: PatchLine[] = [];
  let adds: PatchLine[] = [];
  const flush = () => {
    for (let index = 0; index < Math.max(dels.length, adds.length); index += 1) pairs.push({ key: `p${pairs.length}`, left: dels[index] ?? null, right: adds[index] ?? null });
    [dels, adds] = [[], []];
  };
  for (const line of lines) {
    if (line.kind === 'del') {
      if (adds.length > 0) flush();
      dels.push(line);
    } else if (line.kind === 'add') {
      adds.push(line);
    } else {
      flush();
      pairs.push({ key: `p${pairs.length}`, left: line, right: line.kind === 'context' ? line : null });
    }
  }
  flush();
  return pairs;
}
