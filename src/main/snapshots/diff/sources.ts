import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { FileStat } from '../../../shared/diff';
import { timestampedName } from '../../../shared/names';
import type { InstanceFull, InstanceSnapshot } from '../../incus/api-schemas';
import type { IncusClient } from '../../incus/client';
import { IncusError, IncusInterruptedError, IncusOperationError, IncusUnreachableError, isNotFound } from '../../incus/errors';
import { snapshotsEnded } from '../after-drop';
import { execInstanceBytes, execInstanceReading, getInstance, type ExecBytes } from '../../incus/instances';
import { snapshotNotFound } from '../service';
import { DIFF_PREFIX, removeCommand, removeTemporary, type Temporary, type TemporaryJournal } from '../../app/temporaries';
import { AppError, toErrorInfo } from '../../errors';
import type { DiffCache, SnapshotRecord } from './cache';
import {
  escapedPath,
  HASH_FILES_SCRIPT,
  manifestOf,
  nameBytes,
  parseHashedFiles,
  parseListing,
  reuseHashes,
  trustedHashes,
  type KnownHash,
  type ListedFile,
  type Listing,
} from './exec-manifest';
import { currentListingArgs, diskMounts, hashesKey, listingCommand, TOOLS_MISSING, type ListingScope } from './listing-request';
import { PACKAGE_DB_PATHS, prefixMatcher, type Manifest } from './manifest';
import { readTarManifest } from './tar-manifest';

const TEMPORARY_DESCRIPTION = 'temporary copy made by coi-desktop snapshot diff; removed when the diff ends';

export interface DiffContext {
  client: IncusClient;
  host: string;
  project: string;
  container: string;
  cache: DiffCache;
  /** Where the temporary images and snapshots are recorded until removed (see TemporaryJournal). */
  journal?: TemporaryJournal;
  signal?: AbortSignal;
  /** What is happening, in words, with a percentage where Incus reports one. */
  progress: (text: string, percent: number | null) => void;
  now: () => Date;
}

/** One side's manifest, whether it came from the cache, and the contents kept while reading it. */
export interface SideManifest {
  manifest: Manifest;
  cached: boolean;
  kept: Map<string, Buffer>;
}

export type KeepFile = (path: string, stat: FileStat) => boolean;

/** A name for a temporary object: `coi-diff-20261127-101500-1a2b`. */
export function temporaryName(now: Date): string {
  return `${timestampedName(DIFF_PREFIX.slice(0, -1), now)}-${randomBytes(2).toString('hex')}`;
}

/**
 * A snapshot's manifest: from this computer's cache, else from the record coi-desktop made when it
 * took the snapshot when `fromRecord` accepts it (see record.ts), else read from a temporary image of
 * the snapshot (then cached: a snapshot never changes). `keep` picks files whose content is kept.
 */
export async function snapshotManifest(
  ctx: DiffContext,
  snapshot: InstanceSnapshot,
  keep?: () => KeepFile | undefined,
  fromRecord?: (record: SnapshotRecord) => Promise<Manifest | undefined>,
): Promise<SideManifest> {
  const key = { host: ctx.host, project: ctx.project, container: ctx.container, snapshot: snapshot.name, createdAt: snapshot.created_at };
  const cached = await ctx.cache.readManifest(key);
  if (cached) return { manifest: cached, cached: true, kept: new Map() };
  const record = fromRecord && (await ctx.cache.readRecord(key));
  const recorded = record && (await fromRecord(record));
  if (recorded) return { manifest: recorded, cached: true, kept: new Map() };
  const read = await readPublished(ctx, { type: 'snapshot', name: `${ctx.container}/${snapshot.name}` }, `snapshot ${snapshot.name}`, keep);
  await ctx.cache.writeManifest(key, read.manifest).catch(() => undefined); // a cache that cannot be written only costs time
  return { ...read, cached: false };
}

/** One file's content in a snapshot, read from a temporary image of it (when no diff kept it). */
export async function snapshotFile(ctx: DiffContext, snapshot: InstanceSnapshot, path: string): Promise<Buffer | undefined> {
  const read = await readPublished(ctx, { type: 'snapshot', name: `${ctx.container}/${snapshot.name}` }, `snapshot ${snapshot.name}`, () => (candidate) => candidate === path);
  return read.kept.get(path);
}

/**
 * The container as it is now. Running: listed and hashed inside it with find/stat/sha256sum (only
 * what is compared crosses the wire). Stopped: read from a temporary image of it. Frozen, or running
 * without those tools: a temporary snapshot is taken and read the same way, then removed.
 */
export async function currentManifest(ctx: DiffContext, instance: InstanceFull, scope: ListingScope, onListing?: () => void): Promise<SideManifest> {
  if (instance.status === 'Running') {
    const listed = await listUnlessFrozen(ctx, instance, scope, onListing);
    if (listed) return { manifest: listed.manifest, cached: false, kept: new Map() };
  }
  onListing?.(); // no listing: nothing to wait for
  if (instance.status === 'Stopped') {
    return { ...(await readPublished(ctx, { type: 'instance', name: ctx.container }, `container ${ctx.container}`)), cached: false };
  }
  const snapshot = temporaryName(ctx.now());
  ctx.progress(`Taking temporary snapshot ${snapshot} of ${ctx.container}`, null);
  const recorded = await ctx.journal?.record({ kind: 'snapshot', instance: ctx.container, name: snapshot });
  /** Whether the snapshot's request may still be on its way (Ctrl-C, no answer): its removal waits for it. */
  let pending: string | undefined;
  return withCleanup(ctx, `temporary snapshot ${snapshot}`, async () => {
    await ctx.client.run('POST', `/1.0/instances/${encodeURIComponent(ctx.container)}/snapshots`, { name: snapshot, stateful: false }, { signal: ctx.signal }).catch((error: unknown) => {
      if (error instanceof IncusInterruptedError || error instanceof IncusUnreachableError) pending = 'unknown';
      // Incus forgets its operations when it restarts: whether the snapshot was made is looked up as it is removed
      if (error instanceof IncusOperationError && error.outcome === 'lost') {
        throw new IncusOperationError(error.operationId, 'lost', `Incus lost track of taking temporary snapshot ${snapshot} of ${ctx.container} (operation ${error.operationId} ended before its result could be read: restarted meanwhile?); run the diff again`);
      }
      throw error;
    });
    return { ...(await readPublished(ctx, { type: 'snapshot', name: `${ctx.container}/${snapshot}` }, `the current state of ${ctx.container}`)), cached: false };
  }, () => removeRecorded(ctx, { kind: 'snapshot', instance: ctx.container, name: snapshot }, recorded, pending));
}

/** Incus's refusal to run a command in a container it has frozen. */
const isFrozen = (error: unknown) => error instanceof IncusError && /^instance is frozen$/i.test(error.message);

/**
 * `listInside`, for a container found running that may have been frozen since: Incus freezes one
 * while it takes a snapshot of it (`incus snapshot create`, its schedule, another diff), and refuses
 * an exec meanwhile ("Instance is frozen", which failed the diff). The snapshots it is taking are
 * waited for and the listing tried again; undefined when it is still frozen (paused by a user: the
 * caller reads it from a temporary snapshot, as a container found frozen).
 */
async function listUnlessFrozen(ctx: DiffContext, instance: InstanceFull, scope: ListingScope, onListing?: () => void): Promise<Awaited<ReturnType<typeof listInside>>> {
  const FROZEN = Symbol('frozen');
  const list = () => listInside(ctx, instance, scope, onListing).catch((error: unknown) => (isFrozen(error) ? FROZEN : Promise.reject(error)));
  const first = await list();
  if (first !== FROZEN) return first;
  ctx.progress(`${ctx.container} is frozen (a snapshot of it being taken?): waiting for Incus to thaw it`, null);
  await snapshotsEnded(ctx.client, ctx.container, ctx.signal);
  const second = await list();
  return second === FROZEN ? undefined : second;
}

/**
 * Runs `run`, then `cleanup` whatever happened. What the clean-up could not remove is added to the
 * error's message (or becomes the error), and kept as its `details.left`: the user is told what is
 * left and how to remove it. A cancel that left nothing says so.
 */
async function withCleanup<T>(ctx: DiffContext, what: string, run: () => Promise<T>, cleanup: () => Promise<string | undefined>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const left = await cleanup();
    if (!left && ctx.signal?.aborted) throw new IncusInterruptedError(`Interrupted: the diff was cancelled and its ${what} removed`);
    if (!left) throw error;
    const info = toErrorInfo(error);
    throw new AppError(info.code, `${info.message}; ${left}`, { left });
  }
  const left = await cleanup();
  if (left) throw new AppError('operation-failed', left, { left });
  return result;
}

/**
 * Files the listing may hash itself (changed since the kept hashes' listing) before the kept hashes
 * are written again. Until then they stand as they are: the next listing hashes those files again in
 * the same exec (a few milliseconds each hundred), which costs less than writing 20,000 rows
 * (2.6 MB) on every diff. Kept rows of files deleted or changed since are never used again (their
 * inode, ctime, size or mtime differ), so leaving them costs only space.
 */
const REHASH_LIMIT = 1000;

/**
 * The listing made inside a running container, and its manifest, or undefined when it lacks a tool
 * (the caller reads an image instead). Files whose ctime is older than the previous listing of this
 * container are not hashed again when their inode, ctime, size and mtime are those it hashed (see
 * `trustedHashes`); the rest are hashed inside the container. `onListing` is called once the listing
 * runs in the container (or has ended without running: no tools there): what the caller parses
 * meanwhile no longer holds its request back.
 */
export async function listInside(ctx: DiffContext, instance: InstanceFull, scope: ListingScope, onListing?: () => void): Promise<{ listing: Listing; manifest: Manifest } | undefined> {
  ctx.progress(`Listing and hashing the files of ${ctx.container} inside it`, null);
  const mounts = diskMounts(instance);
  const key = hashesKey(ctx, instance);
  const previous = await ctx.cache.readHashes(key);
  let ran = false;
  let started!: () => void;
  const running = new Promise<void>((resolve) => {
    started = () => {
      ran = true;
      resolve();
    };
  });
  // Each part is waited for, whatever the others do: one failed early (a package database read when the
  // container stops) left the listing's exec running after the diff had ended, which kept the command alive.
  const reading = Promise.allSettled([
    listingExec(ctx, currentListingArgs(instance, scope, previous), (output) => parseListing(output, mounts), started),
    readTextFile(ctx, PACKAGE_DB_PATHS.dpkg),
    readTextFile(ctx, PACKAGE_DB_PATHS.apk),
  ]);
  // The kept rows (2.6 MB per 20,000 files) are parsed while the listing runs: parsed before, they held its request back.
  await Promise.race([running, reading]);
  // not for a listing that failed before it ran: the caller learns that from the rejection (and starts nothing meanwhile)
  if (ran || (await reading)[0].status === 'fulfilled') onListing?.();
  const kept = previous && { listedAt: previous.listedAt, hashes: previous.hashes() };
  const [listed, ...packageDbs] = await reading;
  // The listing's own failure tells most (killed with its container, say); a package read's is told with the container's state.
  if (listed.status === 'rejected') throw listed.reason;
  const unread = packageDbs.findIndex((read) => read.status === 'rejected');
  if (unread >= 0) throw await fileUnread(ctx, [PACKAGE_DB_PATHS.dpkg, PACKAGE_DB_PATHS.apk][unread]!, (packageDbs[unread] as PromiseRejectedResult).reason);
  const listing = listed.value;
  const [dpkg, apk] = packageDbs.map((read) => (read as PromiseFulfilledResult<string | undefined>).value);
  if (!listing) return undefined;
  // the clock going back would make ctimes repeat: then nothing of the previous listing is used
  const known = kept && kept.listedAt <= listing.listedAt ? kept.hashes : new Map<string, KnownHash>();
  const { missing, hashed } = reuseHashes(listing, known);
  await hashFiles(ctx, listing, missing);
  if (known.size === 0 || missing.length > 0 || hashed > REHASH_LIMIT) {
    await ctx.cache.writeHashes(key, listing.listedAt, mergedHashes(known, listing, scope.roots)).catch(() => undefined); // a cache that cannot be written only costs time
  }
  const manifest = manifestOf(listing);
  if (dpkg !== undefined) manifest.packageDbs.dpkg = dpkg;
  if (apk !== undefined) manifest.packageDbs.apk = apk;
  return { listing, manifest };
}

/**
 * Runs LISTING_SCRIPT with `args` inside the container: its output, or undefined when the container
 * lacks a tool it needs. `onStarted`: called once it runs there.
 */
export async function listingExec<T>(ctx: Pick<DiffContext, 'client' | 'container' | 'signal'>, args: string[], read: (output: Buffer) => T, onStarted?: () => void): Promise<T | undefined> {
  const checked = (result: ExecBytes): { value: T } | { failed: ExecBytes } | undefined => {
    if (result.exitCode === TOOLS_MISSING) return undefined;
    if (result.exitCode !== 0) return { failed: result }; // said once the container's state is read (listingFailed)
    return { value: read(result.stdout) };
  };
  const outcome = await execInstanceReading(ctx.client, ctx.container, listingCommand(args), { signal: ctx.signal, onStarted }, checked).catch(async (error: unknown) => {
    // Without sh at all Incus fails the exec itself ("Command not found"): read an image instead.
    if (error instanceof IncusOperationError && error.outcome === 'failed' && /command not found/i.test(error.message)) return undefined;
    // Incus forgets an exec's operation once it ends: one killed with its container can be gone before its result is read.
    if (error instanceof IncusOperationError && error.outcome === 'lost') throw await listingLost(ctx, error);
    throw error;
  });
  if (outcome && 'failed' in outcome) throw await listingFailed(ctx, outcome.failed);
  return outcome?.value;
}

/**
 * Why a listing failed. One killed by a signal (exit code 128 + N, nothing on stderr) was stopped with
 * its container, by a stop or a restore meanwhile ("failed (exit code 137): " said nothing of that):
 * the container's state now says which, and what to do.
 */
async function listingFailed(ctx: Pick<DiffContext, 'client' | 'container'>, result: { exitCode: number; stderr: Buffer }): Promise<AppError> {
  const failed = `listing the files inside ${ctx.container} failed (exit code ${result.exitCode})`;
  if (result.exitCode <= 128) return new AppError('operation-failed', `${failed}: ${result.stderr.toString('utf8').trim().slice(0, 500)}`);
  return new AppError('operation-failed', `${failed}: the listing was killed (signal ${result.exitCode - 128}) and ${await containerNow(ctx, 'running again now (stopped and started meanwhile?)')}; run the diff again`);
}

/**
 * Why a listing's result was lost (its exec's operation gone before it was read: Incus drops an ended
 * exec's operation, as when the container was stopped or restored under it), with the container's state.
 */
async function listingLost(ctx: Pick<DiffContext, 'client' | 'container'>, error: IncusOperationError): Promise<AppError> {
  return new AppError('operation-failed', `listing the files inside ${ctx.container} failed: its operation ${error.operationId} ended before its result could be read, and ${await containerNow(ctx, 'running now')}; run the diff again`);
}

/** Why a file of the container (a package database, the file of `--file`) could not be read, with the container's state (it fails so when the container stops meanwhile). */
export async function fileUnread(ctx: Pick<DiffContext, 'client' | 'container' | 'signal'>, path: string, error: unknown): Promise<Error> {
  if (ctx.signal?.aborted || error instanceof IncusInterruptedError) return error as Error;
  const info = toErrorInfo(error);
  return new AppError(info.code, `reading ${path} inside ${ctx.container} failed (${info.message}), and ${await containerNow(ctx, 'running now')}; run the diff again`);
}

/** The container's state now, as a listing's error says it ("it is stopped now (stopped or restored meanwhile?)"); `running` is what to say when it runs. */
async function containerNow(ctx: Pick<DiffContext, 'client' | 'container'>, running: string): Promise<string> {
  const status = await getInstance(ctx.client, ctx.container).then((instance) => instance.status.toLowerCase(), () => undefined);
  return status === 'running' ? `it is ${running}` : status ? `it is ${status} now (stopped or restored meanwhile?)` : 'it could not be read again';
}

/** Arguments per exec of HASH_FILES_SCRIPT, in bytes: far below any ARG_MAX. */
const HASH_FILES_BYTES = 256 * 1024;

/** Hashes `files` inside the container (few: those changed since the previous listing); one that cannot be read keeps no hash. */
async function hashFiles(ctx: DiffContext, listing: Listing, files: ListedFile[]): Promise<void> {
  for (let start = 0; start < files.length; ) {
    const group = new Map<string, ListedFile>();
    const args: string[] = [];
    for (let bytes = 0; start < files.length && bytes < HASH_FILES_BYTES; start++) {
      const file = files[start]!;
      const name = nameBytes(listing, file);
      const arg = escapedPath(name);
      group.set(name.toString('utf8'), file);
      args.push(arg);
      bytes += arg.length + 1;
    }
    const result = await execInstanceBytes(ctx.client, ctx.container, ['sh', '-c', HASH_FILES_SCRIPT, 'sh', ...args], { signal: ctx.signal });
    if (result.exitCode !== 0) throw await listingFailed(ctx, result);
    for (const [path, sha256] of parseHashedFiles(result.stdout)) {
      const file = group.get(path);
      if (file) file.stat.sha256 = sha256;
    }
  }
}

/** The hashes worth keeping after a listing: its own, and the earlier ones of paths outside its roots (a `--path` diff lists only part). */
function mergedHashes(known: Map<string, KnownHash>, listing: Listing, roots: string[]): Map<string, KnownHash> {
  const fresh = trustedHashes(listing);
  if (roots.includes('/')) return fresh;
  const inScope = roots.map(prefixMatcher);
  for (const [path, hash] of known) if (!fresh.has(path) && !inScope.some((match) => match(path))) fresh.set(path, hash);
  return fresh;
}

const FileHeaders = z.object({ 'x-incus-type': z.string(), 'x-incus-mode': z.string(), 'x-incus-uid': z.string(), 'x-incus-gid': z.string() });

/** A file of the container as it is now (the file API: running or stopped), or undefined where there is none. */
export async function readCurrentFile(ctx: DiffContext, path: string, limit: number): Promise<{ stat: FileStat; content: Buffer | undefined } | undefined> {
  let answer;
  try {
    answer = await ctx.client.download(`/1.0/instances/${encodeURIComponent(ctx.container)}/files?path=${encodeURIComponent(path)}`, ctx.signal);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const headers = FileHeaders.parse(answer.headers);
  const kind = headers['x-incus-type'] === 'directory' ? 'dir' : headers['x-incus-type'] === 'symlink' ? 'symlink' : 'file';
  const { hash, size, head } = await hashStream(answer.body, limit);
  const modified = String(answer.headers['x-incus-modified'] ?? answer.headers['last-modified'] ?? '');
  const mtime = Number.isNaN(Date.parse(modified.replace(' UTC', ''))) ? new Date(0) : new Date(modified.replace(' UTC', ''));
  const stat: FileStat = {
    kind,
    size: kind === 'file' ? size : 0,
    mode: headers['x-incus-mode'].padStart(4, '0').slice(-4),
    uid: Number(headers['x-incus-uid']),
    gid: Number(headers['x-incus-gid']),
    mtime: mtime.toISOString(),
  };
  if (kind === 'symlink') stat.target = head?.toString('utf8') ?? '';
  if (kind === 'file') stat.sha256 = hash;
  return { stat, content: kind === 'file' ? head : undefined };
}

/** A package database's text as the container holds it now; undefined when it has none. */
async function readTextFile(ctx: DiffContext, path: string): Promise<string | undefined> {
  const file = await readCurrentFile(ctx, path, 64 * 1024 * 1024);
  return file?.stat.kind === 'file' ? file.content?.toString('utf8') : undefined;
}

/** The sha256 and size of a stream, and its content when it is at most `limit` bytes. */
async function hashStream(body: Readable, limit: number): Promise<{ hash: string; size: number; head: Buffer | undefined }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const data of body) {
    const chunk = data as Buffer;
    hash.update(chunk);
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return { hash: hash.digest('hex'), size, head: size <= limit ? Buffer.concat(chunks) : undefined };
}

const PublishedSchema = z.object({ fingerprint: z.string().regex(/^[0-9a-f]{64}$/) });

/**
 * Publishes `source` as a temporary image (uncompressed: the daemon only packs it), reads its
 * export as it streams, and removes the image whatever happens, after a cancel too: an interrupted
 * publish that Incus cannot cancel is waited for, then its image removed.
 */
async function readPublished(ctx: DiffContext, source: { type: 'snapshot' | 'instance'; name: string }, what: string, keep?: () => KeepFile | undefined): Promise<Omit<SideManifest, 'cached'>> {
  // A publish once asked for is waited for (Incus cannot cancel it): after a cancel, none is asked for.
  if (ctx.signal?.aborted) throw new IncusInterruptedError(`Interrupted: the diff was cancelled before ${what} was packed`);
  const alias = `${temporaryName(ctx.now())}-${ctx.container}`.slice(0, 200);
  // Recorded before Incus is asked: a process killed from here on leaves an entry the next diff, export or import finds.
  const recorded = await ctx.journal?.record({ kind: 'image', alias });
  /** The publish Incus may still be running after an interruption: its id, or 'unknown' when its answer never came. */
  let pending: string | undefined;
  return withCleanup(ctx, `temporary image ${alias}`, async () => {
    ctx.progress(`Packing ${what} into temporary image ${alias}`, null);
    // The image's own name among its properties makes its tarball, and so its fingerprint, its own:
    // two sides with the same files published in the same second were the same image, and Incus refused the second.
    const body = { source, compression_algorithm: 'none', public: false, aliases: [{ name: alias, description: TEMPORARY_DESCRIPTION }], properties: { description: TEMPORARY_DESCRIPTION, 'coi-desktop.temporary': alias } };
    // The request itself is never abandoned (detached): Incus answers it at once with the publish's
    // operation, so a Ctrl-C meanwhile still learns which operation will make the image. Only the wait is cancelled.
    const operation = await ctx.client
      .run('POST', '/1.0/images', body, { detached: true, signal: ctx.signal, onProgress: (running) => ctx.progress(`Packing ${what}`, percentOf(running.metadata)) })
      .catch(async (error: unknown) => {
        if (error instanceof IncusInterruptedError && !/was cancelled in Incus/.test(error.message)) pending = error.operationId ?? 'unknown';
        if (error instanceof IncusUnreachableError) pending = 'unknown'; // no answer: Incus may have started it all the same
        if (error instanceof IncusOperationError && error.outcome === 'failed') throw await packFailed(ctx, source, what, error);
        // Incus forgets its operations when it restarts: whether the image was made is looked up by its alias as it is removed
        if (error instanceof IncusOperationError && error.outcome === 'lost') {
          throw new IncusOperationError(error.operationId, 'lost', `Incus lost track of packing ${what} into temporary image ${alias} (operation ${error.operationId} ended before its result could be read: restarted meanwhile?); run the diff again`);
        }
        throw error;
      });
    const { fingerprint } = PublishedSchema.parse(operation.metadata);
    ctx.progress(`Reading ${what}`, null);
    const { body: stream } = await ctx.client.download(`/1.0/images/${fingerprint}/export`, ctx.signal);
    try {
      const read = await readTarManifest(stream, { root: 'rootfs', keep: keep?.(), signal: ctx.signal, onProgress: (entries) => ctx.progress(`Reading ${what}: ${entries} files`, null) });
      return { manifest: read.manifest, kept: read.kept };
    } finally {
      stream.destroy();
    }
  }, () => removeRecorded(ctx, { kind: 'image', alias }, recorded, pending));
}

/**
 * Why Incus could not pack `source`. Its own words name a file of its storage or its database
 * (`lstat …: no such file or directory`, `Instance_snapshot not found`) when a snapshot was deleted
 * meanwhile: that is said, with the snapshots the container has now.
 */
async function packFailed(ctx: DiffContext, source: { type: 'snapshot' | 'instance'; name: string }, what: string, error: IncusOperationError): Promise<Error> {
  const failed = new IncusOperationError(error.operationId, 'failed', `Incus could not pack ${what} (${error.message})`);
  const snapshot = source.name.slice(ctx.container.length + 1);
  const instance = source.type === 'snapshot' ? await getInstance(ctx.client, ctx.container).catch(() => undefined) : undefined;
  if (!instance || instance.snapshots.some((candidate) => candidate.name === snapshot)) return failed;
  return new AppError('not-found', `${snapshotNotFound(ctx.container, snapshot, instance).message}: it was deleted while the diff ran, and Incus could not pack it (${error.message})`);
}

function percentOf(metadata: Record<string, unknown> | null | undefined): number | null {
  const percent = Number((metadata?.progress as { percent?: unknown } | undefined)?.percent);
  return Number.isFinite(percent) ? percent : null;
}

/**
 * Removes a temporary image or snapshot, first waiting for the request that may still make it, then
 * forgets its journal entry (kept when it could not be removed). Never throws: says what is left.
 */
async function removeRecorded(ctx: DiffContext, object: Temporary, recorded: string | undefined, pending: string | undefined): Promise<string | undefined> {
  const what = object.kind === 'image' ? `temporary image ${object.alias}` : `temporary snapshot ${object.name}`;
  if (pending) ctx.progress(`Waiting for Incus to finish, to remove the ${what}`, null);
  try {
    await removeTemporary(ctx.client, object, pending);
    if (recorded) await ctx.journal?.forget(recorded);
    return undefined;
  } catch (error) {
    if (recorded) ctx.journal?.release(recorded);
    // the command is for the host the diff ran on: over SSH, `incus` here would reach another daemon
    const later = recorded ? `the next diff, export or import on ${ctx.host} removes it, or run` : 'run';
    return `the ${what} could not be removed (${toErrorInfo(error).message}); ${later} '${removeCommand(object, ctx.project)}' on ${ctx.host}`;
  }
}
