import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { FileStat } from '../../../shared/diff';
import { writeFileAtomic } from '../../config/atomic-file';
import type { KnownHash } from './exec-manifest';
import type { Manifest } from './manifest';

/**
 * Cache files are not flushed to disk one by one (100 small files took 0.1–0.8 s with a flush
 * each): after a power cut one may be empty or cut short, which its reader takes as missing (a
 * manifest that does not parse, a blob whose sha256 is not its name).
 */
const NO_SYNC = { sync: false };

/** Bump when the manifest's meaning changes: older cache files are then ignored. */
const FORMAT = 1;
/** Manifests kept; the least recently used beyond this are removed. */
const KEEP_MANIFESTS = 40;
/** Bytes of snapshot records (every snapshot the app takes has one, diffed or not); the least recently used beyond this are removed. */
const KEEP_RECORD_BYTES = 256 * 1024 * 1024;
/** Bytes of kept file contents (for the diff view's text diffs); the least recently used beyond this are removed. */
const KEEP_BLOB_BYTES = 256 * 1024 * 1024;

/** What is checked of a cached manifest: its shape, not each of its (tens of thousands of) entries, which this app wrote. */
const CachedSchema = z.object({
  format: z.literal(FORMAT),
  key: z.string(),
  files: z.array(z.tuple([z.string(), z.unknown()])),
  mounts: z.array(z.string()),
  packageDbs: z.object({ dpkg: z.string().optional(), apk: z.string().optional() }),
});

/** What is checked of a snapshot's record (see record.ts): a manifest and the paths it does not cover. */
const RecordSchema = CachedSchema.extend({ unknown: z.array(z.string()) });

/** What is checked of a cached listing of a container's current state (each entry: path, inode, ctime, size, mtime, sha256). */
const ListingSchema = z.object({ format: z.literal(FORMAT), key: z.string(), listedAt: z.number(), hashes: z.array(z.unknown()) });

/** A container for good (a name can be used again after a delete, with another creation time), since it last started. */
export interface ContainerKey {
  host: string;
  project: string;
  container: string;
  createdAt: string;
  /** Its `last_used_at`: when it last started. */
  startedAt: string;
}

/** What identifies a snapshot for good: a snapshot never changes, but a name can be used again after a delete. */
export interface SnapshotKey {
  host: string;
  project: string;
  container: string;
  snapshot: string;
  createdAt: string;
}

/**
 * Manifests of snapshots, the content of some of their files, and the hashes of the last listing
 * of each running container, kept on this computer (`<config dir>/cache/diff/`): a snapshot's
 * manifest is read once; every later diff against it only reads the other side, and hashes only
 * the files changed since. Nothing here is needed: a missing or unreadable entry is computed again.
 */
/**
 * What is known of a snapshot without reading it: the manifest of every path whose state in the
 * snapshot is certain, and the paths (each with what is below it) whose state is not.
 */
export interface SnapshotRecord {
  manifest: Manifest;
  unknown: string[];
}

export class DiffCache {
  constructor(private readonly dir: string) {}

  private manifestPath(key: SnapshotKey): { path: string; id: string } {
    return this.pathOf('manifests', [key.host, key.project, key.container, key.snapshot, key.createdAt]);
  }

  private pathOf(folder: string, parts: string[]): { path: string; id: string } {
    const id = JSON.stringify(parts);
    return { path: join(this.dir, folder, `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`), id };
  }

  /**
   * The hashes the last listing of a running container found (see `trustedHashes`), with when it
   * started by the container's clock; undefined when there is none.
   */
  async readHashes(key: ContainerKey): Promise<{ listedAt: number; hashes: Map<string, KnownHash> } | undefined> {
    const { path, id } = this.pathOf('listings', [key.host, key.project, key.container, key.createdAt, key.startedAt]);
    try {
      const raw = JSON.parse(await readFile(path, 'utf8')) as { hashes?: unknown };
      const parsed = ListingSchema.safeParse({ ...raw, hashes: [] });
      if (!parsed.success || parsed.data.key !== id || !Array.isArray(raw.hashes)) return undefined;
      const hashes = new Map<string, KnownHash>();
      for (const row of raw.hashes as KnownHash[]) hashes.set(row[0], row);
      return { listedAt: parsed.data.listedAt, hashes };
    } catch {
      return undefined;
    }
  }

  async writeHashes(key: ContainerKey, listedAt: number, hashes: Map<string, KnownHash>): Promise<void> {
    const { path, id } = this.pathOf('listings', [key.host, key.project, key.container, key.createdAt, key.startedAt]);
    await writeFileAtomic(path, JSON.stringify({ format: FORMAT, key: id, listedAt, hashes: [...hashes.values()] }), NO_SYNC);
    await prune(join(this.dir, 'listings'), (files) => files.length > KEEP_MANIFESTS);
  }

  async readManifest(key: SnapshotKey): Promise<Manifest | undefined> {
    const { path, id } = this.manifestPath(key);
    try {
      const raw = JSON.parse(await readFile(path, 'utf8')) as { files?: unknown };
      const parsed = CachedSchema.safeParse({ ...raw, files: [] });
      if (!parsed.success || parsed.data.key !== id || !Array.isArray(raw.files)) return undefined;
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined); // recently used
      return { files: new Map(raw.files as [string, FileStat][]), mounts: parsed.data.mounts, packageDbs: parsed.data.packageDbs };
    } catch {
      return undefined;
    }
  }

  async writeManifest(key: SnapshotKey, manifest: Manifest): Promise<void> {
    const { path, id } = this.manifestPath(key);
    const cached = { format: FORMAT, key: id, files: [...manifest.files], mounts: manifest.mounts, packageDbs: manifest.packageDbs };
    await writeFileAtomic(path, JSON.stringify(cached), NO_SYNC);
    await prune(join(this.dir, 'manifests'), (files) => files.length > KEEP_MANIFESTS);
  }

  /**
   * What coi-desktop found of a snapshot right after taking it (see record.ts): the entries it knows
   * to be the snapshot's, and the paths whose snapshot state it does not know.
   */
  async readRecord(key: SnapshotKey): Promise<SnapshotRecord | undefined> {
    const { path, id } = this.pathOf('records', [key.host, key.project, key.container, key.snapshot, key.createdAt]);
    try {
      const raw = JSON.parse(await readFile(path, 'utf8')) as { files?: unknown };
      const parsed = RecordSchema.safeParse({ ...raw, files: [] });
      if (!parsed.success || parsed.data.key !== id || !Array.isArray(raw.files)) return undefined;
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined); // recently used
      const manifest = { files: new Map(raw.files as [string, FileStat][]), mounts: parsed.data.mounts, packageDbs: parsed.data.packageDbs };
      return { manifest, unknown: parsed.data.unknown };
    } catch {
      return undefined;
    }
  }

  async writeRecord(key: SnapshotKey, record: SnapshotRecord): Promise<void> {
    const { path, id } = this.pathOf('records', [key.host, key.project, key.container, key.snapshot, key.createdAt]);
    const { manifest, unknown } = record;
    await writeFileAtomic(path, JSON.stringify({ format: FORMAT, key: id, files: [...manifest.files], mounts: manifest.mounts, packageDbs: manifest.packageDbs, unknown }), NO_SYNC);
    await prune(join(this.dir, 'records'), (files) => files.length > KEEP_MANIFESTS || files.reduce((sum, file) => sum + file.size, 0) > KEEP_RECORD_BYTES);
  }

  /** A file's content by its sha256, if kept. */
  async readBlob(sha256: string): Promise<Buffer | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const content = await readFile(join(this.dir, 'blobs', sha256)).catch(() => undefined);
    return content && createHash('sha256').update(content).digest('hex') === sha256 ? content : undefined;
  }

  async writeBlobs(contents: Iterable<Buffer>): Promise<void> {
    const all = [...contents];
    if (all.length === 0) return;
    for (let start = 0; start < all.length; start += 32) {
      // a few at a time: up to 2,000 files per diff, never as many open files
      await Promise.all(all.slice(start, start + 32).map((content) => writeFileAtomic(join(this.dir, 'blobs', createHash('sha256').update(content).digest('hex')), content, NO_SYNC)));
    }
    await prune(join(this.dir, 'blobs'), (files) => files.reduce((sum, file) => sum + file.size, 0) > KEEP_BLOB_BYTES);
  }
}

/** Removes the least recently used files of `dir` while `tooMany` says so. */
async function prune(dir: string, tooMany: (files: { path: string; size: number }[]) => boolean): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = (
    await Promise.all(names.filter((name) => !name.endsWith('.tmp')).map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return info && { path: join(dir, name), size: info.size, used: info.mtimeMs };
    }))
  ).filter((file) => file !== undefined);
  files.sort((a, b) => a.used - b.used);
  while (files.length > 0 && tooMany(files)) await rm(files.shift()!.path, { force: true });
}
