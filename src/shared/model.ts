import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { HostStatusSchema } from './hosts';

/**
 * A disk of a container that its snapshots do not hold: a folder mounted from the host
 * (`host-folder`, source = the host path) or an attached custom volume (`custom-volume`, source =
 * `pool/volume`). `path` is where it is mounted inside the container.
 */
export const NotCapturedSchema = z.object({
  device: z.string(),
  path: z.string(),
  source: z.string(),
  kind: z.enum(['host-folder', 'custom-volume']),
});
export type NotCaptured = z.infer<typeof NotCapturedSchema>;

/** A mounted host folder whose content a snapshot holds as an archive (`--include-mounts`). */
export const HeldMountSchema = z.object({
  device: z.string(),
  path: z.string(),
  source: z.string(),
  /** Bytes of the archive, and the files in it. */
  bytes: z.number(),
  files: z.number(),
  /** Names left out of the archive (and left alone by a restore). */
  excludes: z.array(z.string()),
});
export type HeldMount = z.infer<typeof HeldMountSchema>;

/** One snapshot as every face of the app shows it. */
/** The longest snapshot description the app writes. */
export const DESCRIPTION_MAX = 1000;

export const SnapshotSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  stateful: z.boolean(),
  /** Bytes on disk where the storage driver reports it, else null. */
  sizeBytes: z.number().nullable(),
  description: z.string(),
  /** The mounted host folders this snapshot holds (taken with --include-mounts); absent or empty: none. */
  mounts: z.array(HeldMountSchema).optional(),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** The full detail of one snapshot (`snapshot info`). */
export const SnapshotDetailSchema = SnapshotSchema.extend({
  container: z.string(),
  architecture: z.string(),
  ephemeral: z.boolean(),
  lastUsedAt: z.string().nullable(),
  profiles: z.array(z.string()),
  config: z.record(z.string(), z.string()),
  devices: z.record(z.string(), z.record(z.string(), z.string())),
  /** What this snapshot does not hold: the disks it had mounted, less the folders it holds archives of. */
  notCaptured: z.array(NotCapturedSchema).optional(),
});
export type SnapshotDetail = z.infer<typeof SnapshotDetailSchema>;

export const ContainerSchema = z.object({
  name: z.string(),
  /** Incus status as the daemon says it: Running, Stopped, Frozen, Error, … */
  status: z.string(),
  type: z.string(),
  createdAt: z.string(),
  /** True when the name carries the code-on-incus prefix. */
  coi: z.boolean(),
  /** Whether the container may take stateful snapshots (migration.stateful=true). */
  statefulCapable: z.boolean(),
  /** Newest first. */
  snapshots: z.array(SnapshotSchema),
  /** The disks mounted into the container that no snapshot of it holds (a restore leaves them as they are). */
  notCaptured: z.array(NotCapturedSchema).optional(),
  /** Names left out when mounted folders are archived into a snapshot (`user.coi-desktop.mount-excludes`). */
  mountExcludes: z.array(z.string()).optional(),
  /** The automatic snapshots in words ("every 30 minutes"), when Incus takes any (`snapshots.schedule`). */
  schedule: z.string().optional(),
  /** The stored retention policy in words ("last 10, 7 daily"), or "invalid: …" when the stored value is not a policy. */
  retention: z.string().optional(),
  /** The cluster member the instance lives on (a clustered host only). */
  location: z.string().optional(),
  /** Why the instance cannot be reached now: its member is offline or evacuated (a clustered host only). */
  unreachable: z.string().optional(),
});
export type Container = z.infer<typeof ContainerSchema>;

/** One member of an Incus cluster (`/1.0/cluster/members`). */
export const ClusterMemberSchema = z.object({
  name: z.string(),
  url: z.string(),
  /** `database-leader`, `database`, `event-hub`, … */
  roles: z.array(z.string()),
  /** Online, Offline, Evacuated, Blocked… as Incus says it. */
  status: z.string(),
  message: z.string(),
});
export type ClusterMember = z.infer<typeof ClusterMemberSchema>;

export const DeleteOutcomeSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
});
export type DeleteOutcome = z.infer<typeof DeleteOutcomeSchema>;

export const RestoreResultSchema = z.object({
  container: z.string(),
  snapshot: z.string(),
  stateful: z.boolean(),
  /** The pre-restore safety snapshot taken first, or null when it was switched off. */
  safetySnapshot: z.string().nullable(),
  /** The container was running and was stopped for the restore (`stopFirst`). */
  stopped: z.boolean(),
  /** It was stopped for the restore and runs again afterwards (`startAfter`). */
  startedAgain: z.boolean(),
  /** The container paths whose content was put back from the snapshot's archives (--include-mounts). */
  mountsRestored: z.array(z.string()).optional(),
  /** What the restore may have missed (a dir pool: files changed with their size and mtime kept, when they could not be looked for). */
  warning: z.string().optional(),
});
export type RestoreResult = z.infer<typeof RestoreResultSchema>;

/** One host's part of the multi-host overview: its status and, when it answered, its containers. */
export const HostOverviewSchema = z.object({
  host: z.string(),
  status: HostStatusSchema,
  containers: z.array(ContainerSchema),
  error: ErrorInfoSchema.optional(),
  /** The members, when the host is a cluster (`server_clustered`). */
  members: z.array(ClusterMemberSchema).optional(),
});
export type HostOverview = z.infer<typeof HostOverviewSchema>;

/** What a list shows of a container's snapshots: how many, and the newest (null: it has none). */
export const SnapshotTallySchema = z.object({
  count: z.number().int().nonnegative(),
  newest: z.object({ name: z.string(), createdAt: z.string() }).nullable(),
});
export type SnapshotTally = z.infer<typeof SnapshotTallySchema>;

/**
 * A container as the overview and the host page list it: everything but its snapshots, which are
 * tallied. `snapshots` is null while they have not been read: the daemon's fast answer has names,
 * states and config only, and a list says "loading" there, never a count that is not one.
 */
export const ContainerRowSchema = ContainerSchema.omit({ snapshots: true }).extend({ snapshots: SnapshotTallySchema.nullable() });
export type ContainerRow = z.infer<typeof ContainerRowSchema>;

/** One host's part of the overview list: its status and, when it answered, its containers as rows. */
export const HostRowsSchema = HostOverviewSchema.extend({ containers: z.array(ContainerRowSchema) });
export type HostRows = z.infer<typeof HostRowsSchema>;

// The list rows of containers read with their snapshots: in a module of their own, free of zod, for the
// renderer's first script (the overview) to use without the schemas.
export { containerRow, hostRows } from './rows';

/** What `host test` finds: the status, and the daemon's version when it answered. */
export const HostTestResultSchema = z.object({
  host: z.string(),
  status: HostStatusSchema,
  incusVersion: z.string().nullable(),
  error: ErrorInfoSchema.optional(),
});
export type HostTestResult = z.infer<typeof HostTestResultSchema>;

/** A running or finished Incus operation, as the operations drawer shows it. */
export const OperationSummarySchema = z.object({
  id: z.string(),
  description: z.string(),
  status: z.string(),
  createdAt: z.string(),
  mayCancel: z.boolean(),
  /** Progress in words ("Creating instance: unpack: 40%"), when Incus reports any. */
  progress: z.string().nullable(),
  percent: z.number().min(0).max(100).nullable(),
  /**
   * Whole seconds since the transfer last moved a byte, once it has stood still for a second (a
   * backup whose connection stays open while nothing moves); absent or 0 while it moves. The drawer
   * shows such an operation as stalled. Optional: Incus's own operations never carry it.
   */
  stalledSeconds: z.number().int().min(0).optional(),
  error: z.string(),
  /** The instances it touches, by name. */
  instances: z.array(z.string()),
});
export type OperationSummary = z.infer<typeof OperationSummarySchema>;

/**
 * A backup export or import of this app session, announced when it starts and when it ends (while it
 * runs, the Operations drawer shows it as an app job with the same id, progress and *Cancel*). `file`
 * is where the backup went or came from (a path on this computer, or the name of a browser download
 * or upload); `sha256` is the exported file's, once complete; `container` the one an import made.
 */
export const TransferSchema = z.object({
  id: z.string(),
  host: z.string(),
  kind: z.enum(['export', 'import']),
  /** "Export of c at snapshot s", "Import of file.tar.gz". */
  label: z.string(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  bytes: z.number(),
  file: z.string().nullable(),
  sha256: z.string().nullable(),
  container: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
});
export type Transfer = z.infer<typeof TransferSchema>;
