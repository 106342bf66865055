import { z } from 'zod';
import { DiffFileRequestSchema, DiffFileResultSchema, DiffRequestSchema, DiffResultSchema } from './diff';
import { CALL_NAMES as LISTED_CALLS, type ListedCall } from './coi-api';
import type { ErrorInfo } from './errors';
import { CertFingerprintSchema, HostConfigSchema, HostNameSchema, HostStatusSchema, IncusHostSchema, SshHostSchema } from './hosts';
import {
  ContainerSchema,
  DeleteOutcomeSchema,
  DESCRIPTION_MAX,
  HostRowsSchema,
  HostTestResultSchema,
  OperationSummarySchema,
  RestoreResultSchema,
  SnapshotDetailSchema,
  SnapshotSchema,
  TransferSchema,
} from './model';
import { InstanceNameSchema, SnapshotNameSchema } from './names';
import { RetentionApplyResultSchema, RetentionPlanSchema, RetentionPolicySchema } from './retention';
import { ScheduleSchema, ScheduleSetSchema } from './schedule';

const none = z.object({}).strict();
const done = z.null();
const HostRef = z.object({ host: HostNameSchema }).strict();
const ContainerRef = HostRef.extend({ container: InstanceNameSchema }).strict();
const SnapshotRef = ContainerRef.extend({ snapshot: SnapshotNameSchema }).strict();
const IsoTime = z.iso.datetime({ offset: true });
/** An SSH key's `SHA256:…` fingerprint, or a TLS certificate's SHA-256 in hex (Incus over HTTPS). */
const Fingerprint = z.union([
  z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint looks like SHA256: and 43 base64 characters'),
  CertFingerprintSchema,
]);

export const HostSummarySchema = z.object({ config: HostConfigSchema, status: HostStatusSchema });
export type HostSummary = z.infer<typeof HostSummarySchema>;

/** A host of `~/.ssh/config`, as the "Add host" flow offers it. */
export const SshConfigCandidateSchema = z.object({ alias: z.string(), host: SshHostSchema.optional(), problem: z.string().optional() });
export type SshConfigCandidate = z.infer<typeof SshConfigCandidateSchema>;

/** A remote of the incus client (its `config.yml`): a host to add, or why it is skipped. */
export const IncusRemoteCandidateSchema = z.object({ alias: z.string(), host: IncusHostSchema.optional(), problem: z.string().optional() });
export type IncusRemoteCandidate = z.infer<typeof IncusRemoteCandidateSchema>;

export const ImportOutcomeSchema = z.object({ alias: z.string(), added: z.boolean(), reason: z.string().optional() });
export type ImportOutcome = z.infer<typeof ImportOutcomeSchema>;

/**
 * Every call the renderer can make, declared once: input and output schemas. Main validates both
 * directions; the preload and web mode expose exactly these names as `window.coi`.
 */
export const contract = {
  'hosts.list': { input: none, output: z.array(HostSummarySchema) },
  /** Problems reading `hosts.json` since the app started (a corrupt file set aside), oldest first. */
  'hosts.warnings': { input: none, output: z.array(z.string()) },
  /**
   * Tests the connection first (unless `test` is false) and saves the host only if it works. An Incus
   * server over HTTPS with a trust `token` is joined first (the app's certificate added to its trust
   * store), its certificate pinned to the token's fingerprint unless the host names one.
   */
  'hosts.add': {
    // A page never names key files for an HTTPS host: it uses the app's own certificate (imports name the incus client's, in main).
    input: z.object({ host: z.discriminatedUnion('kind', [SshHostSchema, IncusHostSchema.omit({ clientCert: true })]), test: z.boolean().default(true), token: z.string().min(1).max(8192).optional() }).strict(),
    output: HostTestResultSchema,
  },
  'hosts.importCandidates': { input: none, output: z.array(SshConfigCandidateSchema) },
  'hosts.import': { input: z.object({ aliases: z.array(z.string().min(1).max(200)).min(1).max(200) }).strict(), output: z.array(ImportOutcomeSchema) },
  /** The incus client's remotes; `dir` is where its configuration was found (null: none). */
  'hosts.incusRemoteCandidates': { input: none, output: z.object({ dir: z.string().nullable(), remotes: z.array(IncusRemoteCandidateSchema) }) },
  /** Adds the named HTTPS remotes of the incus client, with its certificate and pinned server certificates. */
  'hosts.importIncusRemotes': { input: z.object({ aliases: z.array(z.string().min(1).max(200)).min(1).max(200) }).strict(), output: z.array(ImportOutcomeSchema) },
  'hosts.remove': { input: HostRef, output: done },
  'hosts.test': { input: HostRef, output: HostTestResultSchema },
  /** Trusts the key the host last offered, if it has this fingerprint; then test or add the host again. */
  'hosts.trustFingerprint': { input: HostRef.extend({ fingerprint: Fingerprint }).strict(), output: done },
  /**
   * Forgets the old key of a host whose key has changed, from the app's own known_hosts (refused when
   * the old key is in ~/.ssh/known_hosts, which the app never edits). `fingerprint` is the NEW key's,
   * as the user compared it; afterwards `hosts.trustFingerprint` with it trusts the new key.
   */
  'hosts.forgetKey': { input: HostRef.extend({ fingerprint: Fingerprint }).strict(), output: z.object({ file: z.string(), removed: z.number().int() }) },
  /** Answers a `passphrase-request` event; null declines. */
  'hosts.answerPassphrase': { input: z.object({ requestId: z.uuid(), passphrase: z.string().max(4096).nullable() }).strict(), output: done },

  'containers.list': { input: HostRef, output: z.array(ContainerSchema) },
  /** One container with its snapshots: one light request, for a container page opened directly. */
  'containers.get': { input: ContainerRef, output: ContainerSchema },
  /**
   * Every host's containers as list rows, in two phases; each host also arrives as an `overview-host`
   * event as soon as it answers. `snapshots: false` is the fast phase (names, states and config: the
   * daemon's `recursion=1`, tens of milliseconds), every row's `snapshots` null (not read yet);
   * `snapshots: true` (the default) tallies each container's snapshots (the daemon's slow `recursion=2`).
   */
  'containers.overview': { input: z.object({ snapshots: z.boolean().default(true) }).strict(), output: z.array(HostRowsSchema) },
  'containers.start': { input: ContainerRef, output: done },
  /** The names left out when the container's mounted folders are archived into a snapshot. */
  'containers.setMountExcludes': { input: ContainerRef.extend({ excludes: z.array(z.string().max(255)).max(100) }).strict(), output: ContainerSchema },
  'containers.stop': { input: ContainerRef.extend({ force: z.boolean().default(false) }).strict(), output: done },

  'snapshots.list': { input: ContainerRef, output: z.array(SnapshotSchema) },
  'snapshots.create': {
    input: ContainerRef.extend({ name: SnapshotNameSchema.optional(), stateful: z.boolean().default(false), expiresAt: IsoTime.optional(), includeMounts: z.boolean().default(false) }).strict(),
    output: SnapshotSchema,
  },
  /**
   * `stopFirst` stops a running container before restoring ("Stop and restore"), and `startAfter`
   * starts it again afterwards. Every check runs before anything changes; a restore that fails after
   * the stop starts the container again, and the error says both. `includeMounts` (create: archive the
   * mounted host folders into the snapshot) puts them back from a snapshot that holds them.
   */
  'snapshots.restore': {
    input: SnapshotRef.extend({
      stateful: z.boolean().default(false),
      safetySnapshot: z.boolean().default(true),
      stopFirst: z.boolean().default(false),
      startAfter: z.boolean().default(true),
      includeMounts: z.boolean().default(false),
    }).strict(),
    output: RestoreResultSchema,
  },
  'snapshots.delete': { input: SnapshotRef, output: done },
  'snapshots.deleteMany': { input: ContainerRef.extend({ snapshots: z.array(SnapshotNameSchema).min(1).max(5000) }).strict(), output: z.array(DeleteOutcomeSchema) },
  /** Deletes every snapshot; `confirmName` must be the container's name, typed by the user. */
  'snapshots.deleteAll': { input: ContainerRef.extend({ confirmName: z.string().max(200) }).strict(), output: z.array(DeleteOutcomeSchema) },
  'snapshots.info': { input: SnapshotRef, output: SnapshotDetailSchema },
  /** Returns the new container as read after the copy, so its page can show it at once. */
  'snapshots.branch': {
    /** `member`: the cluster member the copy goes to (a clustered host; default: the source's member). */
    input: SnapshotRef.extend({ target: InstanceNameSchema.optional(), member: z.string().min(1).max(255).optional() }).strict(),
    output: ContainerSchema,
  },
  'snapshots.rename': { input: SnapshotRef.extend({ newName: SnapshotNameSchema }).strict(), output: SnapshotSchema },
  /** Refuses an expiry in the past or within the next minute (`expiryProblem`): Incus would delete the snapshot at once. */
  'snapshots.setExpiry': { input: SnapshotRef.extend({ expiresAt: IsoTime.nullable() }).strict(), output: SnapshotSchema },
  /** An empty description clears it. */
  'snapshots.setDescription': { input: SnapshotRef.extend({ description: z.string().max(DESCRIPTION_MAX) }).strict(), output: SnapshotSchema },
  /**
   * What changed between snapshot `from` and snapshot `to` (or the current state): files and packages
   * (`src/shared/diff.ts`). With a `jobId` it shows in the operations drawer while it runs, with
   * progress, and `operations.cancel({ host, id: jobId })` cancels it (temporary objects are removed).
   */
  'snapshots.diff': { input: DiffRequestSchema, output: DiffResultSchema },
  /** One file's content on both sides: a unified diff, or why not (binary, too large, not a file). */
  'snapshots.diffFile': { input: DiffFileRequestSchema, output: DiffFileResultSchema },

  /** The container's automatic snapshots (Incus's `snapshots.schedule`), or null when there is none. */
  'schedule.get': { input: ContainerRef, output: ScheduleSchema.nullable() },
  /** Sets the schedule (and COI's name pattern); an invalid `every` or `expiry` is refused with the reason. */
  'schedule.set': { input: ContainerRef.extend(ScheduleSetSchema.shape).strict(), output: ScheduleSchema },
  'schedule.off': { input: ContainerRef, output: done },

  /** The stored policy, or null; a hand-edited value that is not a policy is an `invalid-input` error. */
  'retention.get': { input: ContainerRef, output: RetentionPolicySchema.nullable() },
  /** Stores the policy on the instance (it is not applied: `retention.apply`). */
  'retention.set': { input: ContainerRef.extend({ policy: RetentionPolicySchema }).strict(), output: RetentionPolicySchema },
  /** Removes the policy; the expiries it gave stay until the next apply of another policy. */
  'retention.off': { input: ContainerRef, output: done },
  /** What a policy would do now; `policy` previews a draft, else the stored one (none stored: `invalid-input`). Changes nothing. */
  'retention.preview': { input: ContainerRef.extend({ policy: RetentionPolicySchema.optional() }).strict(), output: RetentionPlanSchema },
  /** Applies the stored policy: writes each covered snapshot's expiry (`going` ones are deleted by Incus within a minute). */
  'retention.apply': { input: ContainerRef, output: RetentionApplyResultSchema },
  /** Pins or unpins a snapshot: the policy never touches a pinned one. */
  'retention.pin': { input: SnapshotRef.extend({ pinned: z.boolean() }).strict(), output: done },
  /**
   * How this face handles backup files: `native` (the desktop app: main asks with a save or open
   * dialog) or `browser` (web mode: a download, and an upload of a file the page picked).
   */
  'backups.files': { input: none, output: z.object({ files: z.enum(['native', 'browser']) }) },
  /**
   * Exports a container (or its state at `snapshot`) to a file on this computer. Native: asks where,
   * then runs (`started`) or not (`cancelled`). Browser: `download` is a one-time address (valid for a
   * minute) whose response is the backup; the transfer starts when the browser fetches it.
   */
  'backups.export': {
    input: ContainerRef.extend({ snapshot: SnapshotNameSchema.optional(), instanceOnly: z.boolean().default(false), optimized: z.boolean().default(false) }).strict(),
    output: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('started'), transfer: TransferSchema }),
      z.object({ kind: z.literal('download'), url: z.string() }),
      z.object({ kind: z.literal('cancelled') }),
    ]),
  },
  /**
   * Imports a backup file as a new container (`name`, else the backup's own; a taken name is refused).
   * Native: asks for the file, then runs. With `upload` (browser): `url` is a one-time address to POST
   * the file's bytes to (valid for a minute); its answer is the finished transfer.
   */
  'backups.import': {
    input: HostRef.extend({ name: InstanceNameSchema.optional(), upload: z.object({ fileName: z.string().min(1).max(255), size: z.number().int().nonnegative() }).strict().optional() }).strict(),
    output: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('started'), transfer: TransferSchema }),
      z.object({ kind: z.literal('upload'), url: z.string() }),
      z.object({ kind: z.literal('cancelled') }),
    ]),
  },

  'operations.list': { input: HostRef, output: z.array(OperationSummarySchema) },
  /** Cancels an Incus operation, or a job of this app shown among them (a snapshot diff's `jobId`). */
  'operations.cancel': { input: HostRef.extend({ id: z.uuid() }).strict(), output: done },
} as const satisfies Record<ListedCall, { input: z.ZodType; output: z.ZodType }>;

/** Everything main pushes to the renderer. */
export const CoiEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('host-status'), host: z.string(), status: HostStatusSchema }),
  z.object({ type: z.literal('hosts-changed') }),
  /** `hosts.json` could not be read; the message says what happened to it (also in `hosts.warnings`). */
  z.object({ type: z.literal('hosts-warning'), message: z.string() }),
  z.object({ type: z.literal('overview-host'), overview: HostRowsSchema }),
  /** An Incus lifecycle event: `instance-snapshot-created`, `instance-started`, … */
  z.object({ type: z.literal('lifecycle'), host: z.string(), action: z.string(), source: z.string(), container: z.string().nullable() }),
  z.object({ type: z.literal('operation'), host: z.string(), operation: OperationSummarySchema }),
  /**
   * A backup transfer started or ended. While it runs it is an app job among the host's operations
   * (`operation` events with its progress); `operations.cancel` with its id stops it, leaving nothing.
   */
  z.object({ type: z.literal('transfer'), transfer: TransferSchema }),
  /** The host's event stream ended: the renderer polls until it is back. */
  z.object({ type: z.literal('events-unavailable'), host: z.string(), reason: z.string() }),
  /** The host's event stream is open again after `events-unavailable`: polling can stop. */
  z.object({ type: z.literal('events-restored'), host: z.string() }),
  /**
   * The core re-applied a container's retention policy (after a new snapshot, and hourly): `applied`
   * expiries written, `going` snapshots Incus deletes within a minute; `error` when it could not
   * (a stored policy that is not valid, a failed write).
   */
  z.object({ type: z.literal('retention-applied'), host: z.string(), container: z.string(), applied: z.number().int(), going: z.number().int(), error: z.string().optional() }),
  z.object({ type: z.literal('passphrase-request'), requestId: z.uuid(), host: z.string(), keyFile: z.string(), attempt: z.number().int() }),
]);
export type CoiEvent = z.infer<typeof CoiEventSchema>;

export type CallName = keyof typeof contract;
export type CallInput<N extends CallName> = z.input<(typeof contract)[N]['input']>;
export type ParsedInput<N extends CallName> = z.output<(typeof contract)[N]['input']>;
export type CallOutput<N extends CallName> = z.infer<(typeof contract)[N]['output']>;

/** Results cross the boundary as data, so the renderer shows the real reason of a failure. */
export type CallResult<N extends CallName> = { ok: true; value: CallOutput<N> } | { ok: false; error: ErrorInfo };

export const IPC_CHANNEL_PREFIX = 'coi:';
export const IPC_EVENT_CHANNEL = 'coi:event';
export const CALL_NAMES: readonly CallName[] = LISTED_CALLS;

export type CoiListener = (event: CoiEvent) => void;

/** `window.coi`: one function per call, and `on` to hear events (it returns the unsubscribe function). */
export type CoiApi = { [N in CallName]: (input: CallInput<N>) => Promise<CallResult<N>> } & {
  on: (listener: CoiListener) => () => void;
};
