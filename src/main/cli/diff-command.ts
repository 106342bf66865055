import { LOCAL_HOST } from '../../shared/hosts';
import { ContainerPathSchema, type DiffEntry, type DiffFileResult, type DiffResult, type DiffSide, type FileStat } from '../../shared/diff';
import { humanSize } from '../../shared/size';
import { diffFile, diffSnapshots, type DiffDeps, type DiffRun } from '../snapshots/diff/diff';
import { toJson } from './format';
import { UsageError } from './io';
import { printable } from './printable';
import type { CliSession, HostChoice } from './session';

export interface DiffOptions extends HostChoice {
  container?: string;
  path: string[];
  allPaths?: boolean;
  format: string;
  summary?: boolean;
  file?: string;
}

/** `snapshot diff SNAP [OTHER]`: loaded only when that command runs (the tar reader and jsdiff with it). */
export async function runDiff(session: CliSession, snapshot: string, other: string | undefined, options: DiffOptions): Promise<void> {
  const paths = options.path.map((path) => checkedPath(path, '--path'));
  const file = options.file === undefined ? undefined : checkedPath(options.file, '--file');
  const host = options.host ?? LOCAL_HOST.name;
  const service = await session.service(options);
  const container = await session.container(service, options.container);
  const core = await session.core(options);
  const deps: DiffDeps = { client: core.pool.client(host), host, project: core.project(host), configDir: core.configDir, journal: core.temporaries(host) };
  const run: DiffRun = { signal: session.io.signal, onProgress: progressLine(session), onNotice: (message) => notice(session, message) };
  const target = { host, container, from: snapshot, to: other ?? null };
  const out = (text: string) => session.io.stdout.write(text);
  if (file !== undefined) {
    const result = await diffFile(deps, { ...target, path: file }, run);
    clearProgress(session);
    out(options.format === 'json' ? toJson(result) : fileDiffText(result));
    return;
  }
  const result = await diffSnapshots(deps, { ...target, paths, allPaths: options.allPaths ?? false }, run);
  clearProgress(session);
  if (options.format === 'json') out(toJson(options.summary ? summaryOnly(result) : result));
  else out(diffText(result, options.summary ?? false));
}

function checkedPath(path: string, option: string): string {
  const parsed = ContainerPathSchema.safeParse(path);
  if (!parsed.success) throw new UsageError(`${option} '${path}': ${parsed.error.issues[0]?.message ?? 'not a path'}`);
  return parsed.data;
}

/** Progress on a terminal's stderr, one line rewritten in place; nothing when stderr is a file or pipe. */
function progressLine(session: CliSession): DiffRun['onProgress'] {
  if (!session.io.stderr.isTTY) return undefined;
  return (text, percent) => session.io.stderr.write(`\r\x1b[K${printable(text)}${percent !== null && percent < 100 ? ` ${Math.round(percent)}%` : ''}`);
}

/** A notice on its own line, whether or not a progress line is showing. */
function notice(session: CliSession, message: string): void {
  clearProgress(session);
  session.say(message);
}

function clearProgress(session: CliSession): void {
  if (session.io.stderr.isTTY) session.io.stderr.write('\r\x1b[K');
}

/** The JSON of `--summary`: everything but the lists of paths. */
function summaryOnly(result: DiffResult): Omit<DiffResult, 'added' | 'deleted' | 'modified' | 'metadata'> {
  const lists = new Set(['added', 'deleted', 'modified', 'metadata']);
  return Object.fromEntries(Object.entries(result).filter(([key]) => !lists.has(key))) as Omit<DiffResult, 'added' | 'deleted' | 'modified' | 'metadata'>;
}

/** "snapshot before-ai (2026-11-27 10:15:00 UTC)" or "the current state (read 2026-11-27 10:20:03 UTC)". */
export function sideText(side: DiffSide): string {
  const time = side.time.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return side.snapshot === null ? `the current state (read ${time})` : `snapshot ${side.snapshot} (${time})`;
}

const plural = (count: number, word: string, many = `${word}s`) => `${count} ${count === 1 ? word : many}`;

/** The text of a whole diff: a header, each list with its count, the packages and a summary line. */
export function diffText(result: DiffResult, summaryOnlyText: boolean): string {
  const lines = [`Changes in ${result.container} from ${sideText(result.from)} to ${sideText(result.to)}`];
  if (result.paths.length > 0) lines.push(`Only below: ${result.paths.join(', ')}`);
  if (result.excluded.length > 0) lines.push(`Left out: ${result.excluded.join(' ')} (--all-paths includes them)`);
  if (!summaryOnlyText) {
    section(lines, 'Added', result.added, '+', (entry) => statText(entry.after!));
    section(lines, 'Deleted', result.deleted, '-', (entry) => statText(entry.before!));
    section(lines, 'Modified', result.modified, '~', (entry) => [`${humanSize(entry.before!.size)} → ${humanSize(entry.after!.size)}`, ...metadataText(entry)].join('; '));
    section(lines, 'Metadata changed', result.metadata, 'm', (entry) => metadataText(entry).join('; '));
    if (result.packages) {
      const { installed, removed, upgraded, managers } = result.packages;
      const rows = [
        ...installed.map((pkg) => `  + ${pkg.name} ${pkg.version}`),
        ...removed.map((pkg) => `  - ${pkg.name} ${pkg.version}`),
        ...upgraded.map((pkg) => `  ~ ${pkg.name} ${pkg.from} → ${pkg.to}`),
      ];
      if (rows.length > 0) lines.push('', `Packages (${managers.join(', ')}):`, ...rows);
    }
  }
  lines.push('', summaryLine(result));
  return `${lines.map((line) => printable(line)).join('\n')}\n`;
}

function section(lines: string[], title: string, entries: DiffEntry[], marker: string, detail: (entry: DiffEntry) => string): void {
  if (entries.length === 0) return;
  lines.push('', `${title} (${entries.length}):`);
  for (const entry of entries) lines.push(`  ${marker} ${entry.path}${entry.kind === 'dir' ? '/' : ''}  ${detail(entry)}`);
}

function statText(stat: FileStat): string {
  if (stat.kind === 'symlink') return `symlink → ${stat.target ?? ''}`;
  if (stat.kind === 'file') return `${humanSize(stat.size)}, ${stat.mode}`;
  return `${stat.kind}, ${stat.mode}`;
}

function metadataText(entry: DiffEntry): string[] {
  const before = entry.before!;
  const after = entry.after!;
  return entry.changes.flatMap((change) => {
    if (change === 'kind') return [`${before.kind} → ${after.kind}`];
    if (change === 'target') return [`target ${before.target ?? ''} → ${after.target ?? ''}`];
    if (change === 'mode') return [`mode ${before.mode} → ${after.mode}`];
    if (change === 'owner') return [`owner ${before.uid}:${before.gid} → ${after.uid}:${after.gid}`];
    return [];
  });
}

function summaryLine(result: DiffResult): string {
  const { added, deleted, modified, metadata } = result.summary;
  const files = `${added} added, ${deleted} deleted, ${modified} modified, ${plural(metadata, 'metadata change')}`;
  if (!result.packages) return `Summary: ${files}`;
  const { installed, removed, upgraded } = result.packages;
  return `Summary: ${files}; packages: ${installed.length} installed, ${removed.length} removed, ${upgraded.length} upgraded`;
}

/** A file's text made safe for a terminal (see `printable`), its newlines and tabs kept. */
function keepTabs(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map((part) => printable(part)).join('\t'))
    .join('\n');
}

/** `--file`: the unified diff, or why there is none. */
export function fileDiffText(result: DiffFileResult): string {
  const { content, before, after, path } = result;
  const side = (stat: FileStat | null) => (stat === null ? 'absent' : stat.kind === 'file' ? `${humanSize(stat.size)}, sha256 ${stat.sha256 ?? 'unknown'}` : statText(stat));
  const both = `${sideText(result.from)}: ${side(before)}\n${sideText(result.to)}: ${side(after)}`;
  switch (content.type) {
    case 'text':
      return content.same ? `${path}: no change\n` : keepTabs(content.unified);
    case 'binary':
      return printable(`${path}: binary file ${content.same ? 'unchanged' : 'differs'}\n${both}\n`, true);
    case 'too-large':
      return printable(`${path}: ${content.same ? 'unchanged' : 'differs'}; larger than ${humanSize(content.limit)}, not compared as text\n${both}\n`, true);
    case 'not-a-file':
      return printable(`${path}: not a regular file on either side\n${both}\n`, true);
  }
}
