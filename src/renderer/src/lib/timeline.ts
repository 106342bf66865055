import type { Snapshot } from '../../../shared/model';

export type SnapshotSort = 'newest' | 'oldest' | 'name';

/** One line of a container's timeline: a day's heading, or a snapshot (with its place among the snapshots shown). */
export type TimelineRow = { kind: 'day'; key: string; label: string; count: number } | { kind: 'snapshot'; key: string; snapshot: Snapshot; position: number };

/** The prefix of the safety snapshots a restore takes first (`pre-restore-YYYYMMDD-HHMMSS`). */
export const SAFETY_PREFIX = 'pre-restore-';

const pad = (value: number) => String(value).padStart(2, '0');

/** The local day of a time, `2026-11-26`: the key snapshots are grouped by. */
export function dayKey(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? 'unknown' : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** "Today", "Yesterday", else "Thursday 26 November 2026". */
export function dayLabel(key: string, now: Date = new Date()): string {
  if (key === 'unknown') return 'Unknown date';
  if (key === dayKey(now.toISOString())) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (key === dayKey(yesterday.toISOString())) return 'Yesterday';
  const [year, month, day] = key.split('-').map(Number);
  return new Date(year!, month! - 1, day!).toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

/** The time of day with seconds, `23:15:07`. */
export function clockTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** The full local time with seconds and zone, for a tooltip: `2026-11-26 23:15:07 (UTC+01:00)`. */
export function exactTime(iso: string | null): string {
  if (!iso) return '—';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const offset = -at.getTimezoneOffset();
  const zone = `UTC${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${dayKey(iso)} ${clockTime(iso)} (${zone})`;
}

/** The snapshots whose name or description holds every word of `query`, in the chosen order. */
export function sortAndFilter(snapshots: readonly Snapshot[], query: string, sort: SnapshotSort): Snapshot[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = snapshots.filter((snapshot) => words.every((word) => `${snapshot.name} ${snapshot.description}`.toLowerCase().includes(word)));
  const time = (snapshot: Snapshot) => Date.parse(snapshot.createdAt) || 0;
  if (sort === 'name') return matching.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  return matching.sort((a, b) => (sort === 'newest' ? time(b) - time(a) : time(a) - time(b)) || a.name.localeCompare(b.name));
}

/** The timeline's rows: sorted by time, a day heading before each day's snapshots; sorted by name, no headings. */
export function timelineRows(snapshots: readonly Snapshot[], sort: SnapshotSort, now: Date = new Date()): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const perDay = new Map<string, number>();
  if (sort !== 'name') for (const snapshot of snapshots) perDay.set(dayKey(snapshot.createdAt), (perDay.get(dayKey(snapshot.createdAt)) ?? 0) + 1);
  let day: string | null = null;
  snapshots.forEach((snapshot, position) => {
    const key = dayKey(snapshot.createdAt);
    if (sort !== 'name' && key !== day) {
      day = key;
      rows.push({ kind: 'day', key: `day:${key}`, label: dayLabel(key, now), count: perDay.get(key) ?? 0 });
    }
    rows.push({ kind: 'snapshot', key: snapshot.name, snapshot, position });
  });
  return rows;
}
