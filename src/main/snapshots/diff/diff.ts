import { join } from 'node:path';
import type * as JsDiff from 'diff';
import {
  DIFF_TEXT_LIMIT_BYTES,
  DiffFileRequestSchema,
  DiffRequestSchema,
  type DiffFileResult,
  type DiffResult,
  type DiffSide,
  type FileContentDiff,
  type FileStat,
} from '../../../shared/diff';
import type { InstanceFull, InstanceSnapshot } from '../../incus/api-schemas';
import type { IncusClient } from '../../incus/client';
import { AppError, parseInput, toErrorInfo } from '../../errors';
import { IncusInterruptedError } from '../../incus/errors';
import { readInstance, snapshotNotFound } from '../service';
import { DiffCache, type SnapshotRecord } from './cache';
import { recordSnapshot, uncoveredPath, type Compared } from './record';
import { compareManifests, PACKAGE_DB_PATHS, pathFilter, type Manifest } from './manifest';
import { comparePackages } from './packages';
import { sweepLeftovers, type TemporaryJournal } from '../../app/temporaries';
import { currentManifest, fileUnread, readCurrentFile, snapshotManifest, snapshotFile, type DiffContext, type KeepFile, type SideManifest } from './sources';
import { currentScope, excludedPaths } from './listing-request';

export type DiffInput = Parameters<typeof DiffRequestSchema.parse>[0];
type ParsedDiff = ReturnType<typeof DiffRequestSchema.parse>;
type ParsedDiffFile = ReturnType<typeof DiffFileRequestSchema.parse>;

export interface DiffDeps {
  client: IncusClient;
  /** The host's name in the registry, and its Incus project: part of a cached manifest's key. */
  host: string;
  project: string;
  /** The app's config directory; manifests are cached in `cache/diff/` below it. */
  configDir: string;
  /** Where the temporary images and snapshots are recorded until removed; leftovers of killed diffs and exports are removed first. */
  journal?: TemporaryJournal;
  now?: () => Date;
}

export interface DiffRun {
  /** Aborting stops the diff; every temporary object is removed before it ends. */
  signal?: AbortSignal;
  onProgress?: (text: string, percent: number | null) => void;
  /** Something the user should read whatever the output is (a leftover of a killed diff removed, or one that could not be). */
  onNotice?: (message: string) => void;
}

/** Files kept from a snapshot side for the diff view's text diffs, at most, per diff. */
const KEEP_FILES = 2000;
const KEEP_BYTES = 32 * 1024 * 1024;

/** The two sides, older first: a snapshot, and another snapshot or the current state (null). */
interface Sides {
  instance: InstanceFull;
  from: InstanceSnapshot;
  to: InstanceSnapshot | null;
}

async function resolveSides(client: IncusClient, request: { container: string; from: string; to: string | null }): Promise<Sides> {
  const instance = await readInstance(client, request.container);
  const find = (name: string) => {
    const snapshot = instance.snapshots.find((candidate) => candidate.name === name);
    if (!snapshot) throw snapshotNotFound(request.container, name, instance);
    return snapshot;
  };
  const first = find(request.from);
  const second = request.to === null ? null : find(request.to);
  if (second && Date.parse(second.created_at) < Date.parse(first.created_at)) return { instance, from: second, to: first };
  return { instance, from: first, to: second };
}

function sideOf(snapshot: InstanceSnapshot | null, readAt: Date): DiffSide {
  return snapshot ? { snapshot: snapshot.name, time: new Date(snapshot.created_at).toISOString() } : { snapshot: null, time: readAt.toISOString() };
}

function context(deps: DiffDeps, container: string, run: DiffRun): DiffContext {
  return {
    client: deps.client,
    host: deps.host,
    project: deps.project,
    container,
    cache: new DiffCache(join(deps.configDir, 'cache', 'diff')),
    journal: deps.journal,
    signal: run.signal,
    progress: (text, percent) => run.onProgress?.(text, percent),
    now: deps.now ?? (() => new Date()),
  };
}

/**
 * Records snapshot `snapshot`, just taken of `instance` (as read before), for later diffs against it
 * (see record.ts); returns why it was not recorded, or undefined.
 */
export async function recordTakenSnapshot(deps: Omit<DiffDeps, 'journal'>, instance: InstanceFull, snapshot: InstanceSnapshot, signal?: AbortSignal): Promise<string | undefined> {
  return recordSnapshot(context(deps, instance.name, { signal }), instance, snapshot);
}

const noop = () => undefined;

/** `/a/b/` → `/a/b`; the root stays "/". */
const trimPath = (path: string) => path.replace(/\/+$/, '') || '/';

/**
 * What changed in a container between a snapshot and another snapshot or its current state: every
 * path added, deleted, changed in content (by sha256) or in kind, target, mode or owner, and the
 * packages. Each snapshot's manifest is cached on this computer after its first diff.
 */
export async function diffSnapshots(deps: DiffDeps, input: DiffInput, run: DiffRun = {}): Promise<DiffResult> {
  const request: ParsedDiff = parseInput(DiffRequestSchema, input, 'snapshot diff');
  await sweepLeftovers(deps.client, deps.journal, run.onNotice);
  const sides = await resolveSides(deps.client, request);
  const ctx = context(deps, request.container, run);
  const paths = [...new Set(request.paths.map(trimPath))];
  const excluded = excludedPaths(request.allPaths);
  const startedAt = ctx.now();

  const packagesCompared = Object.values(PACKAGE_DB_PATHS).some((path) => pathFilter(paths, [], [])(path));
  const [from, to] = await bothSides(ctx, sides, { paths, excluded, packages: packagesCompared });
  const mounts = [...new Set([...from.manifest.mounts, ...to.manifest.mounts])];
  const include = pathFilter(paths, excluded, mounts);
  const changes = compareManifests(from.manifest, to.manifest, include);
  await ctx.cache.writeBlobs([...from.kept.values(), ...to.kept.values()]).catch(() => undefined); // a cache that cannot be written only costs time
  ctx.progress('Compared', 100);
  return {
    host: deps.host,
    container: request.container,
    from: sideOf(sides.from, startedAt),
    to: sideOf(sides.to, startedAt),
    paths,
    excluded,
    summary: { added: changes.added.length, deleted: changes.deleted.length, modified: changes.modified.length, metadata: changes.metadata.length, compared: changes.compared },
    added: changes.added,
    deleted: changes.deleted,
    modified: changes.modified,
    metadata: changes.metadata,
    packages: packagesCompared ? comparePackages(from.manifest.packageDbs, to.manifest.packageDbs) : null,
    cached: { from: from.cached, to: to.cached },
  };
}

/**
 * Both sides' manifests, read at the same time. Against the current state, the snapshot's record
 * (see record.ts) stands for it when it covers the comparison; else the snapshot's image is read once
 * the container's own listing is in (it is much quicker), so the snapshot's version of each file that
 * differs can be kept for the diff view.
 */
async function bothSides(outer: DiffContext, sides: Sides, compared: Compared): Promise<[SideManifest, SideManifest]> {
  const { paths, excluded } = compared;
  const { ctx, guard, outcome } = sidesAtOnce(outer);
  let current: Manifest | undefined;
  let listing = () => {};
  const listed = new Promise<void>((resolve) => (listing = resolve));
  const toSide = guard(sides.to ? snapshotManifest(ctx, sides.to) : currentManifest(ctx, sides.instance, currentScope(paths, excluded), listing));
  void toSide.then((side) => (current = side.manifest), () => undefined);
  const keep = () => (current ? keepDiffering(current, pathFilter(paths, excluded, current.mounts)) : undefined);
  // The snapshot's cached manifest or record (4 MB per 20,000 files) is parsed once the container's
  // listing runs: parsed before, it held the listing's request back.
  const fromSide = guard((async () => {
    if (!sides.to) await Promise.race([listed, toSide.then(noop, noop)]);
    ctx.signal?.throwIfAborted(); // the listing failed: nothing to pack the snapshot for
    return snapshotManifest(ctx, sides.from, keep, sides.to ? undefined : (record) => recordedSide(ctx, sides.from, record, toSide, compared));
  })());
  return outcome(fromSide, toSide);
}

/**
 * For two sides read at once: a context whose signal also aborts once a side `guard`ed fails, so the
 * other stops (its temporary image still removed) rather than packing and reading on for nothing,
 * or running on after the command has reported the failure. `outcome` waits for both, then gives
 * their results or the first failure, with what the stopped side has to add (something it could not remove).
 */
function sidesAtOnce(outer: DiffContext) {
  const failed = new AbortController();
  const ctx: DiffContext = { ...outer, signal: outer.signal ? AbortSignal.any([outer.signal, failed.signal]) : failed.signal };
  let first: unknown;
  const guard = <T>(side: Promise<T>): Promise<T> =>
    side.catch((error: unknown) => {
      if (!failed.signal.aborted) {
        first = error;
        failed.abort();
      }
      throw error;
    });
  const outcome = async <A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> => {
    const [one, two] = await Promise.allSettled([a, b]);
    if (one.status === 'fulfilled' && two.status === 'fulfilled') return [one.value, two.value];
    if (outer.signal?.aborted) throw one.status === 'rejected' ? one.reason : (two as PromiseRejectedResult).reason; // cancelled: each side says what it removed
    // What the side it stopped has to add: something it could not remove (in its own words, not with the
    // "Interrupted…" its stop made, which reads as the user's cancel), or a failure of its own.
    const other = [one, two].find((side) => side.status === 'rejected' && side.reason !== first) as PromiseRejectedResult | undefined;
    const left = other?.reason instanceof AppError && typeof other.reason.details?.left === 'string' ? other.reason.details.left : undefined;
    const said = left ?? (other && !(other.reason instanceof IncusInterruptedError) && !(other.reason instanceof DOMException) ? toErrorInfo(other.reason).message : undefined);
    if (!said) throw first;
    const info = toErrorInfo(first);
    throw new AppError(info.code, `${info.message}; ${said}`);
  };
  return { ctx, guard, outcome };
}

/**
 * The snapshot's manifest from its record when the record covers what the diff compares, judged
 * before the container's listing is in (with the record's own mount points) and again after (with
 * the listing's); undefined, saying why, when the snapshot must be read.
 */
async function recordedSide(ctx: DiffContext, snapshot: InstanceSnapshot, record: SnapshotRecord, current: Promise<SideManifest>, compared: Compared): Promise<Manifest | undefined> {
  const uncovered = uncoveredPath(record, record.manifest.mounts, compared) ?? uncoveredPath(record, (await current).manifest.mounts, compared);
  if (uncovered === undefined) return record.manifest;
  ctx.progress(`Snapshot ${snapshot.name} was recorded when it was taken, all but ${uncovered} (it changed while the snapshot was taken, or was left out): reading the snapshot`, null);
  return undefined;
}

/** Keeps the small files that differ from `other`, up to a budget: the ones the diff view will ask for. */
function keepDiffering(other: Manifest, include: (path: string) => boolean): KeepFile {
  let files = 0;
  let bytes = 0;
  return (path, stat) => {
    if (stat.kind !== 'file' || stat.size > DIFF_TEXT_LIMIT_BYTES || !include(path)) return false;
    if (other.files.get(path)?.sha256 === stat.sha256 || files >= KEEP_FILES || bytes + stat.size > KEEP_BYTES) return false;
    files++;
    bytes += stat.size;
    return true;
  };
}

/** One side of a file: what the path is there, and a regular file's content when it is small enough to diff. */
interface FileSide {
  stat: FileStat | null;
  content: Buffer | undefined;
}

/**
 * One file on both sides: a unified diff of its text, or why there is none (binary, too large, not
 * a regular file). A snapshot's version comes from the cache when a diff kept it, else from a
 * temporary image of the snapshot; the current one from the file API.
 */
export async function diffFile(deps: DiffDeps, input: Parameters<typeof DiffFileRequestSchema.parse>[0], run: DiffRun = {}): Promise<DiffFileResult> {
  const request: ParsedDiffFile = parseInput(DiffFileRequestSchema, input, 'snapshot diff --file');
  const path = trimPath(request.path);
  await sweepLeftovers(deps.client, deps.journal, run.onNotice);
  const sides = await resolveSides(deps.client, request);
  const { ctx, guard, outcome } = sidesAtOnce(context(deps, request.container, run));
  const startedAt = ctx.now();
  const current = async (): Promise<FileSide> => {
    const file = await readCurrentFile(ctx, path, DIFF_TEXT_LIMIT_BYTES).catch(async (error: unknown) => {
      throw await fileUnread(ctx, path, error);
    });
    return { stat: file?.stat ?? null, content: file?.content };
  };
  const [before, after] = await outcome(guard(snapshotSide(ctx, sides.from, path)), guard(sides.to ? snapshotSide(ctx, sides.to, path) : current()));
  const content = compareContent(await import('diff'), path, before, after, [sides.from.name, sides.to?.name ?? 'current']);
  return { host: deps.host, container: request.container, path, from: sideOf(sides.from, startedAt), to: sideOf(sides.to, startedAt), before: before.stat, after: after.stat, content };
}

async function snapshotSide(ctx: DiffContext, snapshot: InstanceSnapshot, path: string): Promise<FileSide> {
  const wanted = (candidate: string) => candidate === path;
  const side = await snapshotManifest(ctx, snapshot, () => wanted);
  const stat = side.manifest.files.get(path) ?? null;
  if (!stat || stat.kind !== 'file' || stat.size > DIFF_TEXT_LIMIT_BYTES) return { stat, content: undefined };
  const content = side.kept.get(path) ?? (stat.sha256 ? await ctx.cache.readBlob(stat.sha256) : undefined) ?? (await snapshotFile(ctx, snapshot, path));
  if (content) await ctx.cache.writeBlobs([content]).catch(() => undefined);
  return { stat, content };
}

/** Text when both sides are (a missing side counts as empty), else binary, too large or not a file; `jsdiff` is the diff library, loaded by the caller. */
export function compareContent(jsdiff: Pick<typeof JsDiff, 'structuredPatch' | 'formatPatch' | 'FILE_HEADERS_ONLY'>, path: string, before: FileSide, after: FileSide, labels: [string, string]): FileContentDiff {
  const files = [before.stat, after.stat].filter((stat) => stat?.kind === 'file') as FileStat[];
  if (files.length === 0) return { type: 'not-a-file' };
  const same = before.stat?.kind === 'file' && after.stat?.kind === 'file' && before.stat.sha256 === after.stat.sha256;
  if (files.some((stat) => stat.size > DIFF_TEXT_LIMIT_BYTES)) return { type: 'too-large', same, limit: DIFF_TEXT_LIMIT_BYTES };
  const texts = [before, after].map((side) => (side.stat?.kind === 'file' ? asText(side.content) : ''));
  if (texts.some((text) => text === undefined)) return { type: 'binary', same };
  const { structuredPatch, formatPatch, FILE_HEADERS_ONLY } = jsdiff;
  const patch = structuredPatch(`${labels[0]}:${path}`, `${labels[1]}:${path}`, texts[0]!, texts[1]!, undefined, undefined, { context: 3 });
  return { type: 'text', same, unified: patch.hunks.length === 0 ? '' : formatPatch(patch, FILE_HEADERS_ONLY), hunks: patch.hunks };
}

/** A file's content as text; undefined when it is binary (a NUL byte, or not UTF-8) or was not read. */
function asText(content: Buffer | undefined): string | undefined {
  if (!content || content.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return undefined;
  }
}
