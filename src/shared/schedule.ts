import { z } from 'zod';

/**
 * Automatic snapshots: Incus takes them itself (the instance's `snapshots.schedule`,
 * `snapshots.schedule.stopped`, `snapshots.expiry` and `snapshots.pattern` keys), so they happen
 * whether or not the app runs. This module holds the contract's schemas and the pure conversions
 * between what a user types and what Incus stores; cron parsing and run times (croner) are in
 * `schedule-times.ts`, which only the faces that need them load.
 */

/**
 * The pattern that makes Incus name a scheduled (or unnamed) snapshot like COI's auto names,
 * `snap-YYYYMMDD-HHMMSS` in the daemon's local time. `creation_date|date:` takes a Go time layout
 * (pongo2 on Go's time.Format). A second snapshot within the same second gets Incus's own suffix
 * (`snap-20261127-040000-0`), never a failure.
 */
export const COI_SNAPSHOT_PATTERN = "snap-{{ creation_date|date:'20060102-150405' }}";

/** The schedule as a user sets it: `schedule set --every SPEC [--stopped] [--expiry DURATION]`. */
export const ScheduleSetSchema = z.object({
  /** A cron expression (`0 * * * *`), `@hourly`, `@daily`, `@weekly`, `@monthly`, or an interval (`30m`, `2h`, `1d`). */
  every: z.string().trim().min(1).max(200),
  /** Take snapshots of the container while it is stopped too (`snapshots.schedule.stopped`). */
  stopped: z.boolean().default(false),
  /** How long each scheduled snapshot lives (`7d`, `12h`, `2w`; units m h d w mo y), or null: until deleted or a retention policy says. */
  expiry: z.string().trim().min(1).max(100).nullable().default(null),
}).strict();
export type ScheduleSet = z.infer<typeof ScheduleSetSchema>;
export type ScheduleSetInput = z.input<typeof ScheduleSetSchema>;

/** The schedule read back from the instance; null (not this object) when there is none. */
export const ScheduleSchema = z.object({
  /** `snapshots.schedule` as Incus holds it: the cron expression or alias. */
  cron: z.string(),
  /** The same in words for a row or a badge: "every 30 minutes", "daily at 00:00", or the cron expression. */
  summary: z.string(),
  stopped: z.boolean(),
  /** Each scheduled snapshot's lifetime in this app's units (`7d`), null for none. */
  expiry: z.string().nullable(),
  /** `snapshots.pattern` as stored ('' = Incus's default `snap%d`). */
  pattern: z.string(),
  /** Whether scheduled snapshots get COI's auto names (`snap-YYYYMMDD-HHMMSS`), so retention covers them. */
  coiPattern: z.boolean(),
  /** The next three run times (ISO, UTC; show them in local time). Empty when none can be computed. */
  nextRuns: z.array(z.string()),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

/** Why a schedule cannot be used, as data (so the UI can show it as the user types). */
export type CronResult = { cron: string } | { problem: string };

const INTERVAL = /^(\d+)\s*(m|min|h|d)$/i;
const MINUTE_STEPS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const HOUR_STEPS = [1, 2, 3, 4, 6, 8, 12];
const ALIASES = new Set(['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually']);

/**
 * What Incus should store for SPEC, before cron validation (that needs croner: `cronProblem`). An
 * interval becomes cron: `30m` → `*\/30 * * * *`, `2h` → `0 *\/2 * * *`, `1d` → `0 0 * * *`; only
 * intervals that divide an hour or a day evenly have a cron form, others are refused with the
 * intervals that do.
 */
export function intervalToCron(spec: string): CronResult {
  const text = spec.trim();
  if (ALIASES.has(text.toLowerCase())) return { cron: text.toLowerCase() };
  if (text.startsWith('@')) return { problem: `'${text}' is not a schedule Incus knows: use @hourly, @daily, @weekly, @monthly, a cron expression or an interval such as 30m or 2h` };
  const match = INTERVAL.exec(text);
  if (!match) return { cron: text };
  const count = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  if (unit === 'd') {
    return count === 1 ? { cron: '0 0 * * *' } : { problem: `an interval of ${count} days has no cron form: use 1d (daily), @weekly, or a cron expression such as '0 0 */${count} * *' (which restarts each month)` };
  }
  if (unit === 'h') {
    if (count === 24) return { cron: '0 0 * * *' };
    if (!HOUR_STEPS.includes(count)) return { problem: `an interval of ${count}h has no cron form: pick one that divides a day evenly (${HOUR_STEPS.join('h, ')}h or 24h), or a cron expression` };
    return { cron: count === 1 ? '0 * * * *' : `0 */${count} * * *` };
  }
  if (count === 60) return { cron: '0 * * * *' };
  if (!MINUTE_STEPS.includes(count)) return { problem: `an interval of ${count}m has no cron form: pick one that divides an hour evenly (${MINUTE_STEPS.join('m, ')}m), hours such as 2h, or a cron expression` };
  return { cron: count === 1 ? '* * * * *' : `*/${count} * * * *` };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** "every 30 minutes", "every 2 hours", "hourly", "daily at 00:00", "weekly on Sunday at 00:00", or the expression itself. */
export function scheduleSummary(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length === 1 && cron.startsWith('@')) return cron.slice(1) === 'midnight' ? 'daily' : cron.slice(1).replace('annually', 'yearly');
  if (fields.length !== 5) return cron;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const rest = `${dom} ${month} ${dow}`;
  const at = /^\d+$/.test(minute) && /^\d+$/.test(hour) ? `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}` : null;
  const day = /^[0-7]$/.test(dow) ? WEEKDAYS[Number(dow) % 7] : null;
  if (at && day && dom === '*' && month === '*') return `weekly on ${day} at ${at}`;
  if (at && /^\d+$/.test(dom) && month === '*' && dow === '*') return `monthly on day ${dom} at ${at}`;
  if (rest !== '* * *') return `cron ${cron}`;
  if (minute === '*' && hour === '*') return 'every minute';
  const minuteStep = /^\*\/(\d+)$/.exec(minute);
  if (minuteStep && hour === '*') return `every ${minuteStep[1]} minutes`;
  if (/^\d+$/.test(minute) && hour === '*') return minute === '0' ? 'hourly' : `hourly at :${minute.padStart(2, '0')}`;
  const hourStep = /^\*\/(\d+)$/.exec(hour);
  if (/^\d+$/.test(minute) && hourStep) return `every ${hourStep[1]} hours`;
  if (/^\d+$/.test(minute) && /^\d+$/.test(hour)) return `daily at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
  return `cron ${cron}`;
}

/** This app's duration units and Incus's letters for them (`snapshots.expiry`: M minutes, H hours, d, w, m months, y). */
const EXPIRY_UNITS: Array<[ours: string, incus: string]> = [['mo', 'm'], ['m', 'M'], ['h', 'H'], ['d', 'd'], ['w', 'w'], ['y', 'y']];

/**
 * `7d`, `12h`, `2w 3d` in this app's units (m minutes, h hours, d days, w weeks, mo months, y years)
 * → Incus's `snapshots.expiry` expression (`7d`, `12H`, `2w 3d`). Incus reads `m` as months and `M`
 * as minutes, so `30m` typed for minutes is never passed through as it is.
 */
export function expiryToIncus(duration: string): { incus: string } | { problem: string } {
  const parts = duration.trim().split(/\s+/);
  const out: string[] = [];
  for (const part of parts) {
    const match = /^(\d+)(mo|m|h|d|w|y)$/i.exec(part);
    if (!match || Number(match[1]) <= 0) return { problem: `'${duration}' is not a duration: use a number and a unit, such as 30m, 12h, 7d, 2w, 3mo or 1y` };
    const unit = EXPIRY_UNITS.find(([ours]) => ours === match[2]!.toLowerCase())!;
    out.push(`${Number(match[1])}${unit[1]}`);
  }
  return { incus: out.join(' ') };
}

/** Incus's `snapshots.expiry` expression read back in this app's units; the raw text when it is not one. */
export function expiryFromIncus(expression: string): string {
  const parts = expression.trim().split(/\s+/);
  const out: string[] = [];
  for (const part of parts) {
    const match = /^(\d+)([MHdwmy])$/.exec(part);
    if (!match) return expression;
    out.push(`${match[1]}${EXPIRY_UNITS.find(([, incus]) => incus === match[2])![0]}`);
  }
  return out.join(' ');
}
