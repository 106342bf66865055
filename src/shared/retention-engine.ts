import { RETENTION_RULES, snapshotKind, type KeptBy, type RetentionCounts, type RetentionEntry, type RetentionPlan, type RetentionPolicy, type RetentionRule } from './retention';

/**
 * The retention policy as a pure function: (policy, snapshots, now) → each snapshot's expiry. No I/O
 * and no clock of its own, so the renderer previews with it as the user types and the core applies
 * exactly what the preview showed.
 *
 * Buckets are calendar hours, days, ISO weeks and months in UTC, so every computer computes the same
 * expiries. A bucket starting at S is kept, for a rule of count K, until S + K units: the current
 * bucket and the K-1 before it. Its representative is its OLDEST covered snapshot, which no later
 * snapshot can displace, so an expiry written once stays right while Incus takes new snapshots and
 * no app runs. The newest `keepLast` get no expiry at all (when they stop being the newest cannot be
 * known ahead); a later apply gives them their bucket's expiry, or "going". The result never depends
 * on the expiries the snapshots have now, so applying twice changes nothing the second time.
 */

/** A snapshot as the engine needs it. */
export interface RetentionInput {
  name: string;
  createdAt: string;
  expiresAt: string | null;
  pinned?: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Bucket {
  start: number;
  /** When the bucket stops being kept under a rule of `count` buckets. */
  until(count: number): number;
  label: string;
}

const pad = (value: number) => String(value).padStart(2, '0');
const dayLabel = (at: Date) => `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;

/** ISO 8601 week label (`2026-W48`) of the week starting (Monday, UTC) at `monday`. */
function isoWeekLabel(monday: number): string {
  const thursday = new Date(monday + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${pad(week)}`;
}

/** The bucket of `at` under one rule. */
export function bucketOf(rule: RetentionRule, at: number): Bucket {
  const date = new Date(at);
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  switch (rule) {
    case 'hourly': {
      const start = Math.floor(at / HOUR) * HOUR;
      return { start, until: (count) => start + count * HOUR, label: `${dayLabel(date)} ${pad(date.getUTCHours())}:00` };
    }
    case 'daily':
      return { start: dayStart, until: (count) => dayStart + count * DAY, label: dayLabel(date) };
    case 'weekly': {
      const start = dayStart - ((date.getUTCDay() + 6) % 7) * DAY;
      return { start, until: (count) => start + count * 7 * DAY, label: isoWeekLabel(start) };
    }
    case 'monthly': {
      const [year, month] = [date.getUTCFullYear(), date.getUTCMonth()];
      return { start: Date.UTC(year, month, 1), until: (count) => Date.UTC(year, month + count, 1), label: `${year}-${pad(month + 1)}` };
    }
  }
}

/** Why a snapshot is left alone, or undefined when the policy covers it. */
function leftAlone(snapshot: RetentionInput, policy: RetentionPolicy): string | undefined {
  if (snapshot.pinned) return 'pinned';
  if (policy.includeNamed) return undefined;
  const kind = snapshotKind(snapshot.name);
  if (kind === 'safety') return 'safety snapshot (pre-restore)';
  if (kind === 'named') return 'named checkpoint';
  return undefined;
}

/** A snapshot with its creation time read once. */
interface Timed {
  snapshot: RetentionInput;
  at: number;
}

/** Newest first; equal times by name, so the order never depends on the input's. */
const newestFirst = (a: Timed, b: Timed) => b.at - a.at || (a.snapshot.name < b.snapshot.name ? 1 : a.snapshot.name > b.snapshot.name ? -1 : 0);

/** For each covered snapshot, what keeps it: the newest N, and each kept bucket whose representative it is. */
function keepReasons(covered: Timed[], policy: RetentionPolicy, now: number): Map<string, KeptBy[]> {
  const reasons = new Map<string, KeptBy[]>(covered.map(({ snapshot }) => [snapshot.name, []]));
  covered.slice(0, policy.keepLast).forEach(({ snapshot }, index) => reasons.get(snapshot.name)!.push({ rule: 'last', bucket: `#${index + 1}`, until: null }));
  for (const rule of RETENTION_RULES) {
    const count = policy[rule];
    if (count === 0) continue;
    // Newest first, so the last snapshot seen in a bucket is its oldest: its representative.
    const representatives = new Map<number, { snapshot: RetentionInput; bucket: Bucket }>();
    for (const { snapshot, at } of covered) {
      const bucket = bucketOf(rule, at);
      representatives.set(bucket.start, { snapshot, bucket });
    }
    for (const { snapshot, bucket } of representatives.values()) {
      const until = bucket.until(count);
      if (until > now) reasons.get(snapshot.name)!.push({ rule, bucket: bucket.label, until: new Date(until).toISOString() });
    }
  }
  return reasons;
}

/** Whether an expiry needs writing: instants compared to the second (Incus keeps its own format). */
function differs(current: string | null, next: string | null, now: number): boolean {
  if (current === null || next === null) return current !== next;
  const [at, wanted] = [Date.parse(current), Date.parse(next)];
  // Already past and going: Incus deletes it at its next pruning, nothing to write.
  if (wanted <= now && at <= now) return false;
  return Math.abs(at - wanted) >= 1000;
}

function coveredEntry(snapshot: RetentionInput, keptBy: KeptBy[], now: number): RetentionEntry {
  const kept = keptBy.some((reason) => reason.rule === 'last');
  const until = keptBy.reduce((latest, reason) => Math.max(latest, reason.until ? Date.parse(reason.until) : 0), 0);
  const expiresAt = kept ? null : new Date(keptBy.length > 0 ? until : now).toISOString();
  const status = kept ? 'kept' : keptBy.length > 0 ? 'expiring' : 'going';
  return {
    name: snapshot.name,
    createdAt: snapshot.createdAt,
    kind: snapshotKind(snapshot.name),
    pinned: false,
    status,
    currentExpiresAt: snapshot.expiresAt,
    expiresAt,
    change: differs(snapshot.expiresAt, expiresAt, now),
    keptBy,
  };
}

function untouchedEntry(snapshot: RetentionInput, reason: string): RetentionEntry {
  return {
    name: snapshot.name,
    createdAt: snapshot.createdAt,
    kind: snapshotKind(snapshot.name),
    pinned: snapshot.pinned === true,
    status: 'untouched',
    currentExpiresAt: snapshot.expiresAt,
    expiresAt: snapshot.expiresAt,
    change: false,
    keptBy: [],
    reason,
  };
}

/**
 * What `policy` does to `snapshots` at `now` (ms): every snapshot, newest first, with the expiry it
 * gets and why. A `going` snapshot's expiry is `now`: written to Incus it is deleted at the next
 * pruning (about a minute), which is exactly what "going" means; nothing the policy keeps ever gets
 * an expiry at or before `now`.
 */
export function planRetention(container: string, policy: RetentionPolicy, snapshots: readonly RetentionInput[], now: number): RetentionPlan {
  const sorted = snapshots.map((snapshot) => ({ snapshot, at: Date.parse(snapshot.createdAt) })).sort(newestFirst);
  const covered = sorted.filter(({ snapshot }) => leftAlone(snapshot, policy) === undefined);
  const reasons = keepReasons(covered, policy, now);
  const entries = sorted.map(({ snapshot }) => {
    const reason = leftAlone(snapshot, policy);
    return reason === undefined ? coveredEntry(snapshot, reasons.get(snapshot.name)!, now) : untouchedEntry(snapshot, reason);
  });
  return { container, policy, now: new Date(now).toISOString(), entries, counts: countEntries(entries) };
}

export function countEntries(entries: readonly RetentionEntry[]): RetentionCounts {
  const counts: RetentionCounts = { kept: 0, expiring: 0, going: 0, untouched: 0, changes: 0 };
  for (const entry of entries) {
    counts[entry.status] += 1;
    if (entry.change) counts.changes += 1;
  }
  return counts;
}
