import { z } from 'zod';
import { HostNameSchema } from './hosts';
import { InstanceNameSchema, SnapshotNameSchema } from './names';

/**
 * Snapshot diff (`coi-desktop snapshot diff`, `snapshots.diff`, `snapshots.diffFile`): what changed in
 * a container between a snapshot and another snapshot or its current state. The result's JSON is the
 * CLI's `--format json` as it is (every field name is one word), documented in the README.
 */

/**
 * Left out unless `allPaths`: what always churns. A pattern is a path prefix; `*` stands for one
 * whole path segment (`/home/x/.cache` and everything below it matches `/home/∗/.cache`).
 */
export const DIFF_DEFAULT_EXCLUDES = [
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/tmp',
  '/var/tmp',
  '/var/cache',
  '/var/log/journal',
  '/root/.cache',
  '/home/*/.cache',
  /** The archives of mounted folders that `snapshot create --include-mounts` leaves in a snapshot. */
  '/var/lib/coi-desktop',
] as const;

/** Larger files are not diffed as text by `diffFile`: their sizes and hashes are shown instead. */
export const DIFF_TEXT_LIMIT_BYTES = 1024 * 1024;

/** An absolute path inside the container, as `--path` and `--file` take it. */
export const ContainerPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((path) => path.startsWith('/'), 'a path inside the container starts with "/"')
  .refine((path) => !path.split('/').some((part) => part === '..' || part === '.'), 'a path must not hold "." or ".." segments')
  .refine((path) => !path.includes('\0'), 'a path must not hold a NUL character');

const DiffTarget = z.object({
  host: HostNameSchema,
  container: InstanceNameSchema,
  /** One snapshot. */
  from: SnapshotNameSchema,
  /** The other snapshot; null or absent: the container as it is now. Either order: the result puts the older first. */
  to: SnapshotNameSchema.nullable().default(null),
  /**
   * Names this run in the operations drawer: it is announced as an `operation` event with this id
   * while it runs (progress, `mayCancel`), and `operations.cancel({ host, id: jobId })` cancels it.
   */
  jobId: z.uuid().optional(),
});

/** `snapshots.diff`: the whole comparison. */
export const DiffRequestSchema = DiffTarget.extend({
  /** Compare only below these prefixes (`--path`, repeatable); empty: everything. */
  paths: z.array(ContainerPathSchema).max(100).default([]),
  /** Include what `DIFF_DEFAULT_EXCLUDES` leaves out (`--all-paths`). */
  allPaths: z.boolean().default(false),
}).strict();
export type DiffRequest = z.input<typeof DiffRequestSchema>;

/** `snapshots.diffFile`: one file's content on both sides (`--file PATH`). */
export const DiffFileRequestSchema = DiffTarget.extend({ path: ContainerPathSchema }).strict();
export type DiffFileRequest = z.input<typeof DiffFileRequestSchema>;

/** One side of a comparison: a snapshot (`snapshot` = its name, `time` = when it was taken) or the current state (`snapshot` null, `time` = when it was read). */
export const DiffSideSchema = z.object({ snapshot: z.string().nullable(), time: z.string() });
export type DiffSide = z.infer<typeof DiffSideSchema>;

export const FileKindSchema = z.enum(['file', 'dir', 'symlink', 'char', 'block', 'fifo', 'other']);
export type FileKind = z.infer<typeof FileKindSchema>;

/** A path as one side holds it. */
export const FileStatSchema = z.object({
  kind: FileKindSchema,
  /** Bytes of a regular file's content; 0 for anything else. */
  size: z.number().int().nonnegative(),
  /** Permission bits in octal, setuid/setgid/sticky included: "0644", "4755". */
  mode: z.string().regex(/^[0-7]{4}$/),
  uid: z.number().int(),
  gid: z.number().int(),
  /** Modification time (ISO 8601); not compared, shown only. */
  mtime: z.string(),
  /** A symlink's target. */
  target: z.string().optional(),
  /** Hex sha256 of a regular file's content. */
  sha256: z.string().optional(),
});
export type FileStat = z.infer<typeof FileStatSchema>;

/** What differs about a path present on both sides. `content`: a regular file's bytes (by sha256). */
export const ChangeSchema = z.enum(['content', 'kind', 'target', 'mode', 'owner']);
export type Change = z.infer<typeof ChangeSchema>;

/**
 * One changed path. `added`: `before` is null; `deleted`: `after` is null; `modified`: the content
 * differs (`changes` holds 'content', and any metadata change besides); `metadata`: the content is the
 * same and the kind, symlink target, mode or owner differs. `kind` is the kind after (before, when deleted).
 */
export const DiffEntrySchema = z.object({
  path: z.string(),
  kind: FileKindSchema,
  before: FileStatSchema.nullable(),
  after: FileStatSchema.nullable(),
  changes: z.array(ChangeSchema),
});
export type DiffEntry = z.infer<typeof DiffEntrySchema>;

export const PackageSchema = z.object({ name: z.string(), version: z.string() });
export const PackageChangeSchema = z.object({ name: z.string(), from: z.string(), to: z.string() });

/**
 * Packages of the package databases found (`managers`: 'dpkg' from /var/lib/dpkg/status, 'apk'
 * from /lib/apk/db/installed). `upgraded` holds every version change (a downgrade too).
 * Null when neither side has a package database.
 */
export const PackageDiffSchema = z.object({
  managers: z.array(z.enum(['dpkg', 'apk'])),
  installed: z.array(PackageSchema),
  removed: z.array(PackageSchema),
  upgraded: z.array(PackageChangeSchema),
});
export type PackageDiff = z.infer<typeof PackageDiffSchema>;

export const DiffSummarySchema = z.object({
  added: z.number().int(),
  deleted: z.number().int(),
  modified: z.number().int(),
  metadata: z.number().int(),
  /** Paths compared on each side (after `paths` and the excludes). */
  compared: z.object({ from: z.number().int(), to: z.number().int() }),
});

/** `snapshots.diff` and `snapshot diff --format json`. Entries are sorted by path. */
export const DiffResultSchema = z.object({
  host: z.string(),
  container: z.string(),
  /** The older side (a snapshot). */
  from: DiffSideSchema,
  /** The newer side: a snapshot, or the current state. */
  to: DiffSideSchema,
  /** The prefixes compared (empty: everything). */
  paths: z.array(z.string()),
  /** The patterns left out (`DIFF_DEFAULT_EXCLUDES`; empty with `allPaths`). */
  excluded: z.array(z.string()),
  summary: DiffSummarySchema,
  added: z.array(DiffEntrySchema),
  deleted: z.array(DiffEntrySchema),
  modified: z.array(DiffEntrySchema),
  metadata: z.array(DiffEntrySchema),
  packages: PackageDiffSchema.nullable(),
  /** Whether each side's manifest came from this computer's cache (a snapshot's is kept after its first diff). */
  cached: z.object({ from: z.boolean(), to: z.boolean() }),
});
export type DiffResult = z.infer<typeof DiffResultSchema>;

/** One hunk of a unified diff: `lines` start with ' ', '-' or '+' (jsdiff's structuredPatch). */
export const DiffHunkSchema = z.object({
  oldStart: z.number().int(),
  oldLines: z.number().int(),
  newStart: z.number().int(),
  newLines: z.number().int(),
  lines: z.array(z.string()),
});
export type DiffHunk = z.infer<typeof DiffHunkSchema>;

/**
 * One file's content compared. `text`: both sides (a missing side counts as empty) are text of at
 * most `DIFF_TEXT_LIMIT_BYTES`: `unified` is the unified diff (empty when equal), `hunks` the same as
 * data for a side-by-side view. `binary`: a side holds a NUL byte or is not UTF-8 (sizes and hashes are
 * in `before`/`after`). `too-large`: a side is over `limit` bytes. `not-a-file`: neither side is a
 * regular file (see `before`/`after` for what they are).
 */
export const FileContentDiffSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), same: z.boolean(), unified: z.string(), hunks: z.array(DiffHunkSchema) }),
  z.object({ type: z.literal('binary'), same: z.boolean() }),
  z.object({ type: z.literal('too-large'), same: z.boolean(), limit: z.number().int() }),
  z.object({ type: z.literal('not-a-file') }),
]);
export type FileContentDiff = z.infer<typeof FileContentDiffSchema>;

/** `snapshots.diffFile` and `snapshot diff --file PATH --format json`. */
export const DiffFileResultSchema = z.object({
  host: z.string(),
  container: z.string(),
  path: z.string(),
  from: DiffSideSchema,
  to: DiffSideSchema,
  /** The path on each side; null where it does not exist. */
  before: FileStatSchema.nullable(),
  after: FileStatSchema.nullable(),
  content: FileContentDiffSchema,
});
export type DiffFileResult = z.infer<typeof DiffFileResultSchema>;
