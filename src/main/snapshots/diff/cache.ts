import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { FileStat } from '../../../shared/diff';
import { removeStaleTemporaries, writeFileAtomic } from '../../config/atomic-file';
import type { KnownHash } from './exec-manifest';
import type { Manifest } from './manifest';

/**
 * Cache files are not flushed to disk one by one (100 small files took 0.1–0.8 s with a flush
 * each): after a power cut one may be empty or cut short, which its reader takes as missing (a
 * file whose content is not the sha256 its first line names, a blob whose sha256 is not its name).
 */
const NO_SYNC = { sync: false };

/**
 * Bump when the manifest's meaning changes: older cache files are then ignored. 2: a first line
 * naming the key and the sha256 of the rest (before: one JSON object, whose entries were not checked).
 */
const FORMAT = 2;
/** Manifests kept; the least recently used beyond this are removed. */
const KEEP_MANIFESTS = 40;
/** Bytes of snapshot records (every snapshot the app takes has one, diffed or not); the least recently used beyond this are removed. */
const KEEP_RECORD_BYTES = 256 * 1024 * 1024;
/** Bytes of kept file contents (for the diff view's text diffs); the least recently used beyond this are removed. */
const KEEP_BLOB_BYTES = 256 * 1024 * 1024;

/**
 * The first line of every cache file but blobs: what it is, and the sha256 of the rest. A file
 * changed after it was written (by hand, a disk error, a write cut short) is then missing, and
 * computed again, never read as a wrong diff.
 */
const HeaderSchema = z.object({ format: z.literal(FORMAT), key: z.string(), sha256: z.string() });

/**
 * An array, its items left to the reader: tens of thousands of entries are checked as they are read
 * (`entriesOf`). A schema per entry took 30–40 ms for a 20,000-file record, as long as parsing its JSON.
 */
const ArraySchema = z.custom<unknown[]>((value) => Array.isArray(value));

/** What is checked of a cached manifest's body: its shape (its entries are covered by the header's sha256, and read by `entriesOf`). */
const CachedSchema = z.object({
  files: ArraySchema,
  mounts: z.array(z.string()),
  packageDbs: z.object({ dpkg: z.string().optional(), apk: z.string().optional() }),
});

/** What is checked of a snapshot's record (see record.ts): a manifest and the paths it does not cover. */
const RecordSchema = CachedSchema.extend({ unknown: z.array(z.string()) });

/** What is checked of a cached listing of a container's current state (each entry: path, inode, ctime, size, mtime, sha256). */
const ListingSchema = z.object({ listedAt: z.number(), hashes: ArraySchema });

/**
 * A listing's first line also says when it started: that alone tells the next listing what to hash,
 * so its exec goes out before the rows (2.6 MB per 20,000 files) are checked and parsed.
 */
const ListingHeaderSchema = HeaderSchema.extend({ listedAt: z.number() });

/** The hashes the last listing of a running container kept: when it started (the container's clock, epoch seconds), and its rows, read when asked. */
export interface KeptHashes {
  listedAt: number;
  /** The rows by path; none when the rest of the file is not what its first line names: those files are then hashed again. */
  hashes: () => Map<string, KnownHash>;
}

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
  async readHashes(key: ContainerKey): Promise<KeptHashes | undefined> {
    const { path, id } = this.pathOf('listings', [key.host, key.project, key.container, key.createdAt, key.startedAt]);
    const file = await readHeader(path, id, ListingHeaderSchema);
    if (!file) return undefined;
    const { listedAt } = file.header;
    return {
      listedAt,
      hashes: () => {
        const hashes = new Map<string, KnownHash>();
        const body = checkedBody(file, ListingSchema);
        // rows are used only with the time their first line gave the listing that reads them
        if (body?.listedAt === listedAt) for (const row of body.hashes as KnownHash[]) hashes.set(row[0], row);
        return hashes;
      },
    };
  }

  async writeHashes(key: ContainerKey, listedAt: number, hashes: Map<string, KnownHash>): Promise<void> {
    const { path, id } = this.pathOf('listings', [key.host, key.project, key.container, key.createdAt, key.startedAt]);
    await writeChecked(path, id, { listedAt, hashes: [...hashes.values()] }, { listedAt });
    await prune(join(this.dir, 'listings'), (files) => files.length > KEEP_MANIFESTS);
  }

  async readManifest(key: SnapshotKey): Promise<Manifest | undefined> {
    const { path, id } = this.manifestPath(key);
    const read = await readEntries(path, id, CachedSchema);
    return read && { files: read.files, mounts: read.body.mounts, packageDbs: read.body.packageDbs };
  }

  async writeManifest(key: SnapshotKey, manifest: Manifest): Promise<void> {
    const { path, id } = this.manifestPath(key);
    await writeChecked(path, id, { files: [...manifest.files], mounts: manifest.mounts, packageDbs: manifest.packageDbs });
    await prune(join(this.dir, 'manifests'), (files) => files.length > KEEP_MANIFESTS);
  }

  /**
   * What coi-desktop found of a snapshot right after taking it (see record.ts): the entries it knows
   * to be the snapshot's, and the paths whose snapshot state it does not know.
   */
  async readRecord(key: SnapshotKey): Promise<SnapshotRecord | undefined> {
    const { path, id } = this.pathOf('records', [key.host, key.project, key.container, key.snapshot, key.createdAt]);
    const read = await readEntries(path, id, RecordSchema);
    return read && { manifest: { files: read.files, mounts: read.body.mounts, packageDbs: read.body.packageDbs }, unknown: read.body.unknown };
  }

  async writeRecord(key: SnapshotKey, record: SnapshotRecord): Promise<void> {
    const { path, id } = this.pathOf('records', [key.host, key.project, key.container, key.snapshot, key.createdAt]);
    const { manifest, unknown } = record;
    await writeChecked(path, id, { files: [...manifest.files], mounts: manifest.mounts, packageDbs: manifest.packageDbs, unknown });
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

/** A manifest's entries by path; undefined when one is not a `[path, stat]` pair. */
function entriesOf(entries: unknown[]): Map<string, FileStat> | undefined {
  const files = new Map<string, FileStat>();
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return undefined;
    files.set(entry[0], entry[1] as FileStat);
  }
  return files;
}

/** A manifest or record file's checked body and its entries, the file marked recently used; undefined when it is missing or not what its first line names. */
async function readEntries<S extends z.ZodType<{ files: unknown[] }>>(path: string, id: string, schema: S): Promise<{ body: z.infer<S>; files: Map<string, FileStat> } | undefined> {
  const body = await readChecked(path, id, schema);
  const files = body && entriesOf(body.files);
  if (!body || !files) return undefined;
  const now = new Date();
  await utimes(path, now, now).catch(() => undefined); // recently used
  return { body, files };
}

/** Writes `body` as JSON after a first line naming `id`, the body's sha256 and `more` (see HeaderSchema). */
async function writeChecked(path: string, id: string, body: object, more: object = {}): Promise<void> {
  const text = JSON.stringify(body);
  const header = JSON.stringify({ format: FORMAT, key: id, sha256: createHash('sha256').update(text).digest('hex'), ...more });
  await writeFileAtomic(path, `${header}\n${text}`, NO_SYNC);
}

/** A file `writeChecked` wrote: its first line, and the rest, not checked yet. */
interface HeadedFile<H> {
  header: H;
  body: Buffer;
}

/** The first line of a file `writeChecked` wrote for `id`, checked with `schema`; undefined when there is none, or it is another version's or another key's. */
async function readHeader<S extends typeof HeaderSchema>(path: string, id: string, schema: S): Promise<HeadedFile<z.infer<S>> | undefined> {
  try {
    const content = await readFile(path);
    const end = content.indexOf(0x0a);
    if (end < 0) return undefined;
    const header = schema.safeParse(JSON.parse(content.subarray(0, end).toString('utf8')));
    return header.success && header.data.key === id ? { header: header.data, body: content.subarray(end + 1) } : undefined;
  } catch {
    return undefined;
  }
}

/** The body of `file`, checked with `schema`; undefined when it is not what its first line names. */
function checkedBody<S extends z.ZodType>(file: HeadedFile<z.infer<typeof HeaderSchema>>, schema: S): z.infer<S> | undefined {
  try {
    if (createHash('sha256').update(file.body).digest('hex') !== file.header.sha256) return undefined;
    const parsed = schema.safeParse(JSON.parse(file.body.toString('utf8')));
    return parsed.success ? (parsed.data as z.infer<S>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The body of a file `writeChecked` wrote for `id`, checked with `schema`; undefined when there is
 * none, or it is another version's or another key's, or its content is not what its header names.
 */
async function readChecked<S extends z.ZodType>(path: string, id: string, schema: S): Promise<z.infer<S> | undefined> {
  const file = await readHeader(path, id, HeaderSchema);
  return file && checkedBody(file, schema);
}

/**
 * Removes the least recently used files of `dir` while `tooMany` says so, and the temporary files of
 * writes killed half-way (`kill -9` while a 4 MB manifest was written left it there for good).
 */
async function prune(dir: string, tooMany: (files: { path: string; size: number }[]) => boolean): Promise<void> {
  await removeStaleTemporaries(dir);
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
