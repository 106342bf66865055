import { Cron } from 'croner';
import { intervalToCron } from './schedule';

/**
 * Cron validation and run times (croner), kept apart from `schedule.ts` so that only the faces that
 * show or set a schedule load croner (the CLI's start-up never does).
 */

/** Incus's aliases in their cron form (Incus itself may run an alias at another minute; we store the explicit form). */
const ALIAS_CRON: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

function cronJob(cron: string): Cron {
  return new Cron(ALIAS_CRON[cron] ?? cron, { mode: '5-part', paused: true });
}

/**
 * What to store in `snapshots.schedule` for what the user typed (cron, alias or interval), or why it
 * cannot be used: a five-field cron expression, as Incus reads it.
 */
export function parseSchedule(spec: string): { cron: string } | { problem: string } {
  const converted = intervalToCron(spec);
  if ('problem' in converted) return converted;
  const cron = ALIAS_CRON[converted.cron] ?? converted.cron;
  if (cron.trim().split(/\s+/).length !== 5) {
    return { problem: `'${spec}' is not a schedule: use a cron expression with five fields (minute hour day month weekday, e.g. '0 * * * *'), @hourly, @daily, @weekly, or an interval such as 30m or 2h` };
  }
  try {
    cronJob(cron);
  } catch (error) {
    return { problem: `'${spec}' is not a valid cron expression (${(error as Error).message}): use five fields, minute hour day month weekday, e.g. '*/15 * * * *'` };
  }
  return { cron: cron.trim().replace(/\s+/g, ' ') };
}

/** The next `count` run times after `from` (ISO, UTC), in this machine's zone's reading of the cron; [] when it cannot be read. */
export function nextRuns(cron: string, count = 3, from: Date = new Date()): string[] {
  try {
    return cronJob(cron).nextRuns(count, from).map((at) => at.toISOString());
  } catch {
    return [];
  }
}
