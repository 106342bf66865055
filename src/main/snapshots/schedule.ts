import { COI_SNAPSHOT_PATTERN, expiryFromIncus, expiryToIncus, scheduleSummary, type Schedule, type ScheduleSet } from '../../shared/schedule';
import { nextRuns, parseSchedule } from '../../shared/schedule-times';
import type { InstanceFull } from '../incus/api-schemas';
import type { IncusClient } from '../incus/client';
import * as api from '../incus/instances';
import { AppError } from '../errors';
import { readInstance } from './service';

/**
 * Automatic snapshots, taken by Incus itself: this module only writes and reads the instance's own
 * `snapshots.*` keys, so the daemon goes on taking them whether or not any COI Desktop runs.
 */

const KEYS = {
  schedule: 'snapshots.schedule',
  stopped: 'snapshots.schedule.stopped',
  expiry: 'snapshots.expiry',
  pattern: 'snapshots.pattern',
} as const;

/** The container's schedule as Incus holds it (its profiles included), or null when it has none. */
export async function getSchedule(client: IncusClient, container: string, now: Date = new Date()): Promise<Schedule | null> {
  return scheduleOf(await readInstance(client, container), now);
}

export function scheduleOf(instance: InstanceFull, now: Date = new Date()): Schedule | null {
  const config = instance.expanded_config;
  const cron = config[KEYS.schedule]?.trim() ?? '';
  if (cron === '') return null;
  const pattern = config[KEYS.pattern] ?? '';
  const expiry = config[KEYS.expiry] ?? '';
  return {
    cron,
    summary: scheduleSummary(cron),
    stopped: config[KEYS.stopped] === 'true',
    expiry: expiry === '' ? null : expiryFromIncus(expiry),
    pattern,
    coiPattern: pattern === COI_SNAPSHOT_PATTERN,
    nextRuns: nextRuns(cron, 3, now),
  };
}

/**
 * Sets the schedule: `every` as cron (an interval or alias converted; anything invalid refused with
 * the reason before a request), stopped containers or not, each scheduled snapshot's lifetime, and
 * COI's name pattern so scheduled snapshots are named `snap-YYYYMMDD-HHMMSS` like the app's own.
 */
export async function setSchedule(client: IncusClient, container: string, spec: ScheduleSet, now: Date = new Date()): Promise<Schedule> {
  const parsed = parseSchedule(spec.every);
  if ('problem' in parsed) throw new AppError('invalid-input', parsed.problem);
  const expiry = spec.expiry === null ? null : expiryToIncus(spec.expiry);
  if (expiry && 'problem' in expiry) throw new AppError('invalid-input', expiry.problem);
  await readInstance(client, container);
  await api.patchInstanceConfig(client, container, {
    [KEYS.schedule]: parsed.cron,
    [KEYS.stopped]: spec.stopped ? 'true' : 'false',
    [KEYS.expiry]: expiry ? expiry.incus : '',
    [KEYS.pattern]: COI_SNAPSHOT_PATTERN,
  });
  const schedule = await getSchedule(client, container, now);
  if (!schedule) throw new AppError('internal', `the schedule of '${container}' was written but does not read back`);
  return schedule;
}

/**
 * Stops automatic snapshots: removes the instance's own schedule keys. The name pattern stays (it
 * names unnamed snapshots too). A schedule that a profile sets cannot be removed here, and says so.
 */
export async function scheduleOff(client: IncusClient, container: string): Promise<void> {
  await readInstance(client, container);
  await api.patchInstanceConfig(client, container, { [KEYS.schedule]: '', [KEYS.stopped]: '', [KEYS.expiry]: '' });
  const left = await getSchedule(client, container);
  if (left) {
    throw new AppError('incus', `'${container}' still takes snapshots '${left.cron}': a profile sets snapshots.schedule; change the profile (incus profile show …) or set another schedule here`);
  }
}
