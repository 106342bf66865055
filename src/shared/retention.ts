import { z } from 'zod';

/**
 * A retention policy and what it does to a container's snapshots. The policy is stored on the
 * instance (`user.coi-desktop.retention`, JSON), so every computer and every face sees the same one;
 * applying it gives each covered snapshot the `expires_at` the policy implies, and Incus deletes
 * them on time even when no COI Desktop runs. The pure engine is `planRetention`
 * (`retention-engine.ts`).
 */

/** The instance config key holding the policy (JSON of `RetentionPolicy`). */
export const RETENTION_KEY = 'user.coi-desktop.retention';
/** The instance config key holding the pinned snapshots' names (JSON array): the policy never touches them. */
export const PINNED_KEY = 'user.coi-desktop.pinned';

/**
 * Grandfather-father-son, in calendar buckets (UTC): the newest `keepLast` covered snapshots are
 * always kept; besides them, the oldest snapshot of each of the last `hourly` hours, `daily` days,
 * `weekly` ISO weeks (from Monday) and `monthly` months (the current one included) is kept as long
 * as its bucket is one of those. 0 turns a rule off.
 */
export const RetentionPolicySchema = z.object({
  keepLast: z.number().int().min(1).max(10_000),
  hourly: z.number().int().min(0).max(24 * 366).default(0),
  daily: z.number().int().min(0).max(3660).default(0),
  weekly: z.number().int().min(0).max(520).default(0),
  monthly: z.number().int().min(0).max(1200).default(0),
  /** Cover named checkpoints and `pre-restore-` safety snapshots too (pinned ones never). */
  includeNamed: z.boolean().default(false),
}).strict();
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;
export type RetentionPolicyInput = z.input<typeof RetentionPolicySchema>;

export const RETENTION_RULES = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type RetentionRule = (typeof RETENTION_RULES)[number];

/**
 * What a snapshot is, by its name: `auto` (COI's `snap-YYYYMMDD-HHMMSS[-N]`, which scheduled snapshots
 * get too, and Incus's own default `snapN`), `safety` (`pre-restore-…`), `named` (anything else).
 */
export const SnapshotKindSchema = z.enum(['auto', 'safety', 'named']);
export type SnapshotKind = z.infer<typeof SnapshotKindSchema>;

const AUTO_NAME = /^snap-\d{8}-\d{6}(-\d+)?$|^snap\d+$/;
const SAFETY_NAME = /^pre-restore-\d{8}-\d{6}(-\d+)?$/;

export function snapshotKind(name: string): SnapshotKind {
  if (AUTO_NAME.test(name)) return 'auto';
  if (SAFETY_NAME.test(name)) return 'safety';
  return 'named';
}

/** Why a snapshot keeps its place: the newest N (`last`, bucket `#1`…), or the bucket it represents. */
export const KeptBySchema = z.object({
  rule: z.enum(['last', ...RETENTION_RULES]),
  /** `#3` (third newest), `2026-11-27 03:00`, `2026-11-27`, `2026-W48`, `2026-11` (UTC). */
  bucket: z.string(),
  /** When the bucket stops being kept (ISO); null for `last`: kept until newer snapshots push it out. */
  until: z.string().nullable(),
});
export type KeptBy = z.infer<typeof KeptBySchema>;

/**
 * One snapshot in a plan. `kept`: no expiry (one of the newest N); `expiring`: kept by a bucket until
 * `expiresAt`; `going`: no longer kept, its expiry is now (Incus deletes it within a minute);
 * `untouched`: not covered by the policy (`reason` says why), its own expiry stays.
 */
export const RetentionEntrySchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  kind: SnapshotKindSchema,
  pinned: z.boolean(),
  status: z.enum(['kept', 'expiring', 'going', 'untouched']),
  /** The expiry the snapshot has before the plan is applied (ISO or null). */
  currentExpiresAt: z.string().nullable(),
  /** The expiry after applying (ISO or null: never); for `untouched` the current one. */
  expiresAt: z.string().nullable(),
  /** Applying writes this snapshot's expiry (false when it already has it). */
  change: z.boolean(),
  keptBy: z.array(KeptBySchema),
  /** For `untouched`: "named checkpoint", "safety snapshot (pre-restore)", "pinned". */
  reason: z.string().optional(),
});
export type RetentionEntry = z.infer<typeof RetentionEntrySchema>;

export const RetentionCountsSchema = z.object({
  kept: z.number().int(),
  expiring: z.number().int(),
  going: z.number().int(),
  untouched: z.number().int(),
  /** How many snapshots applying would write. */
  changes: z.number().int(),
});
export type RetentionCounts = z.infer<typeof RetentionCountsSchema>;

/** What a policy does to one container's snapshots at `now`: every snapshot, newest first. */
export const RetentionPlanSchema = z.object({
  container: z.string(),
  policy: RetentionPolicySchema,
  now: z.string(),
  entries: z.array(RetentionEntrySchema),
  counts: RetentionCountsSchema,
});
export type RetentionPlan = z.infer<typeof RetentionPlanSchema>;

/** The result of applying: the plan, and each write that failed (the others were still made). */
export const RetentionApplyResultSchema = z.object({
  plan: RetentionPlanSchema,
  /** Snapshots whose expiry was written. */
  applied: z.number().int(),
  failed: z.array(z.object({ name: z.string(), error: z.string() })),
});
export type RetentionApplyResult = z.infer<typeof RetentionApplyResultSchema>;

/** The policy in words: "last 10, 24 hourly, 7 daily, 4 weekly; named too". */
export function policySummary(policy: RetentionPolicy): string {
  const rules = RETENTION_RULES.filter((rule) => policy[rule] > 0).map((rule) => `${policy[rule]} ${rule}`);
  return [`last ${policy.keepLast}`, ...rules].join(', ') + (policy.includeNamed ? '; named too' : '');
}

/**
 * The stored policy, validated: null when the key is absent or empty; a problem (never a guess)
 * when a hand-edited value is not a policy, so nothing is ever deleted on a misread.
 */
export function parseStoredPolicy(raw: string | undefined): { policy: RetentionPolicy | null } | { problem: string } {
  if (raw === undefined || raw.trim() === '') return { policy: null };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { problem: `the retention policy stored in ${RETENTION_KEY} is not JSON ('${raw.slice(0, 80)}'): set it again with 'coi-desktop retention set' or remove it with 'retention off'` };
  }
  const parsed = RetentionPolicySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { problem: `the retention policy stored in ${RETENTION_KEY} is not valid (${where}${issue.message}): set it again with 'coi-desktop retention set' or remove it with 'retention off'` };
  }
  return { policy: parsed.data };
}

/** The pinned snapshots' names stored on the instance; a value that is not a JSON array of names is a problem. */
export function parseStoredPins(raw: string | undefined): { pinned: string[] } | { problem: string } {
  if (raw === undefined || raw.trim() === '') return { pinned: [] };
  try {
    const parsed = z.array(z.string()).safeParse(JSON.parse(raw));
    if (parsed.success) return { pinned: parsed.data };
  } catch {
    // reported below
  }
  return { problem: `the pinned snapshots stored in ${PINNED_KEY} are not a JSON list of names ('${raw.slice(0, 80)}'): fix or remove that key` };
}
