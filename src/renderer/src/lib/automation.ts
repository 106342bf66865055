import { RetentionPolicySchema, type KeptBy, type RetentionEntry, type RetentionPolicy } from '../../../shared/retention';
import { parseSchedule } from '../../../shared/schedule-times';
import { localTime } from './format';
import { dayKey, dayLabel } from './timeline';

/**
 * The renderer's side of schedules and retention (issue 12): the Schedule panel's choices, the
 * retention form's checks, and the preview's rows and words. The rules themselves (cron, intervals,
 * the policy engine) are the shared ones every face uses.
 */

/** A choice of the Schedule panel's "How often" menu; `custom` takes what the user types. */
export interface SchedulePreset {
  value: string;
  label: string;
  /** What `schedule set --every` takes; null for the custom field. */
  every: string | null;
}

export const SCHEDULE_PRESETS: readonly SchedulePreset[] = [
  { value: '15m', label: 'Every 15 minutes', every: '15m' },
  { value: '30m', label: 'Every 30 minutes', every: '30m' },
  { value: 'hourly', label: 'Every hour', every: '@hourly' },
  { value: '6h', label: 'Every 6 hours', every: '6h' },
  { value: 'daily', label: 'Every day at 00:00', every: '@daily' },
  { value: 'weekly', label: 'Every week (Sunday 00:00)', every: '@weekly' },
  { value: 'custom', label: 'Custom: cron or interval', every: null },
];

export const CUSTOM = 'custom';

/** The preset whose schedule is `cron` (as Incus holds it), or the custom choice. */
export function presetFor(cron: string): SchedulePreset {
  const match = SCHEDULE_PRESETS.find((preset) => {
    if (preset.every === null) return false;
    const parsed = parseSchedule(preset.every);
    return 'cron' in parsed && parsed.cron === cron;
  });
  return match ?? SCHEDULE_PRESETS.find((preset) => preset.value === CUSTOM)!;
}

/** How long each scheduled snapshot lives, in the app's duration units (`schedule set --expiry`); '' never expires. */
export const EXPIRY_PRESETS: readonly { value: string; label: string }[] = [
  { value: '', label: 'Never: retention decides' },
  { value: '1d', label: '1 day' },
  { value: '3d', label: '3 days' },
  { value: '1w', label: '1 week' },
  { value: '2w', label: '2 weeks' },
  { value: '1mo', label: '1 month' },
  { value: CUSTOM, label: 'Custom duration' },
];

/** The policy form's fields, in the order shown. */
export const POLICY_FIELDS = [
  { key: 'keepLast', label: 'Keep the last', unit: 'snapshots' },
  { key: 'hourly', label: 'Hourly', unit: 'hours' },
  { key: 'daily', label: 'Daily', unit: 'days' },
  { key: 'weekly', label: 'Weekly', unit: 'weeks' },
  { key: 'monthly', label: 'Monthly', unit: 'months' },
] as const;
export type PolicyField = (typeof POLICY_FIELDS)[number]['key'];

/** The policy a new Retention panel starts from: the last 10, a day of hours, a week of days, a month of weeks. */
export const DEFAULT_POLICY: RetentionPolicy = { keepLast: 10, hourly: 24, daily: 7, weekly: 4, monthly: 0, includeNamed: false };

/** What the policy form holds: the numbers as typed (an empty field is '' until it is fixed). */
export type PolicyDraft = Record<PolicyField, string> & { includeNamed: boolean };

export function toDraft(policy: RetentionPolicy): PolicyDraft {
  return { keepLast: String(policy.keepLast), hourly: String(policy.hourly), daily: String(policy.daily), weekly: String(policy.weekly), monthly: String(policy.monthly), includeNamed: policy.includeNamed };
}

/**
 * The typed policy checked with the contract's own schema: the policy, or a message for each field
 * that is wrong, in words ("Keep the last: at least 1").
 */
export function readDraft(draft: PolicyDraft): { policy: RetentionPolicy; problems: Partial<Record<PolicyField, string>> } | { policy: null; problems: Partial<Record<PolicyField, string>> } {
  const problems: Partial<Record<PolicyField, string>> = {};
  const numbers: Partial<Record<PolicyField, number>> = {};
  for (const field of POLICY_FIELDS) {
    const text = draft[field.key].trim();
    if (!/^\d+$/.test(text)) problems[field.key] = `${field.label}: a whole number, such as ${field.key === 'keepLast' ? 10 : 7}`;
    else numbers[field.key] = Number(text);
  }
  const parsed = RetentionPolicySchema.safeParse({ ...numbers, includeNamed: draft.includeNamed });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = POLICY_FIELDS.find((candidate) => candidate.key === issue.path[0]);
      if (!field || problems[field.key]) continue;
      const limit = 'minimum' in issue ? `at least ${String(issue.minimum)}` : 'maximum' in issue ? `at most ${String(issue.maximum)}` : 'a whole number';
      problems[field.key] = `${field.label}: ${limit}${field.key === 'keepLast' && 'minimum' in issue ? ' (the newest snapshot is always kept)' : ''}`;
    }
  }
  return Object.keys(problems).length === 0 && parsed.success ? { policy: parsed.data, problems } : { policy: null, problems };
}

/** One line of the preview timeline: a day's heading with its counts, or one snapshot's fate. */
export type PreviewRow = { kind: 'day'; key: string; label: string; going: number; total: number } | { kind: 'entry'; key: string; entry: RetentionEntry };

/** The plan's entries (newest first) with a heading before each local day, saying how many of its snapshots go. */
export function previewRows(entries: readonly RetentionEntry[], now: Date = new Date()): PreviewRow[] {
  const days = new Map<string, { going: number; total: number }>();
  for (const entry of entries) {
    const day = days.get(dayKey(entry.createdAt)) ?? { going: 0, total: 0 };
    day.total += 1;
    if (entry.status === 'going') day.going += 1;
    days.set(dayKey(entry.createdAt), day);
  }
  const rows: PreviewRow[] = [];
  let current: string | null = null;
  for (const entry of entries) {
    const key = dayKey(entry.createdAt);
    if (key !== current) {
      current = key;
      rows.push({ kind: 'day', key: `day:${key}`, label: dayLabel(key, now), ...days.get(key)! });
    }
    rows.push({ kind: 'entry', key: entry.name, entry });
  }
  return rows;
}

const RULE_WORDS: Record<KeptBy['rule'], string> = { last: 'newest', hourly: 'the hour', daily: 'the day', weekly: 'the week', monthly: 'the month' };

/** A reason a snapshot is kept: "newest #3", "the day 2026-11-26". */
export function keptByText(reason: KeptBy): string {
  return `${RULE_WORDS[reason.rule]} ${reason.bucket}`;
}

/**
 * A snapshot's fate in words, with the bucket that keeps it: "kept · newest #3", "kept until
 * 2026-12-03 00:00 · the day 2026-11-26", "goes at Incus's next pruning · in no kept bucket".
 */
export function fateText(entry: RetentionEntry): string {
  switch (entry.status) {
    case 'kept':
      return `kept · ${entry.keptBy.map(keptByText).join(', ')}`;
    case 'expiring': {
      // The bucket kept longest decides the expiry; it comes first.
      const reasons = [...entry.keptBy].sort((a, b) => Date.parse(b.until ?? '') - Date.parse(a.until ?? ''));
      return `kept until ${localTime(entry.expiresAt)} · ${reasons.map(keptByText).join(', ')}`;
    }
    case 'going':
      return `goes at Incus's next pruning · in no kept bucket`;
    case 'untouched':
      return `left alone · ${entry.reason ?? 'not covered'}${entry.expiresAt ? ` · its own expiry ${localTime(entry.expiresAt)}` : ''}`;
  }
}
