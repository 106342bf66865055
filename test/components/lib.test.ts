import { describe, expect, it } from 'vitest';
import { hostRows, type HostOverview } from '../../src/shared/model';
import { age, count, failureSummary, fromLocalInput, retryIn, statusLabel, toLocalInput } from '../../src/renderer/src/lib/format';
import { anyCoi, filterRows, hostCounts, nextSort, repeatedNames, rows } from '../../src/renderer/src/lib/inventory';
import { matchCommands } from '../../src/renderer/src/lib/palette';
import { pageTitle, parseRoute, routeHash } from '../../src/renderer/src/lib/router.svelte';
import { clockTime, exactTime, sortAndFilter, timelineRows } from '../../src/renderer/src/lib/timeline';
import { visibleRange } from '../../src/renderer/src/lib/virtual';

const snapshot = (name: string, createdAt: string) => ({ name, createdAt, expiresAt: null, stateful: false, sizeBytes: null, description: '' });
const container = (name: string, coi: boolean, snapshots = [snapshot('s', '2026-11-25T10:00:00Z')], status = 'Running') => ({ name, status, type: 'container', createdAt: '', coi, statefulCapable: false, snapshots });
const overview = ([
  { host: 'local', status: { state: 'online', latencyMs: 2 }, containers: [container('webapp', false), container('coi-bb-1', true, [], 'Stopped')] },
  { host: 'buildbox', status: { state: 'online', latencyMs: 9 }, containers: [container('coi-aa-1', true, [snapshot('n', '2026-11-25T12:00:00Z'), snapshot('o', '2026-11-24T12:00:00Z')])] },
] satisfies HostOverview[]).map(hostRows);

describe('the inventory list', () => {
  it('shows COI containers first, across hosts, and every instance only when asked', () => {
    const all = rows(overview);
    expect(filterRows(all, '', { all: false }).map((row) => row.container.name)).toEqual(['coi-aa-1', 'coi-bb-1']);
    expect(filterRows(all, '', { all: true }).map((row) => row.container.name)).toEqual(['coi-aa-1', 'coi-bb-1', 'webapp']);
  });

  it('matches every word against name, host and state', () => {
    const all = rows(overview);
    expect(filterRows(all, 'buildbox', { all: true }).map((row) => row.container.name)).toEqual(['coi-aa-1']);
    expect(filterRows(all, 'coi stopped', { all: true }).map((row) => row.container.name)).toEqual(['coi-bb-1']);
    expect(filterRows(all, 'nothing-like-this', { all: true })).toEqual([]);
  });

  it('sorts by a column either way round, ties by name', () => {
    const all = rows(overview);
    const names = (key: Parameters<typeof nextSort>[1], direction: 'ascending' | 'descending') => filterRows(all, '', { all: true, sort: { key, direction } }).map((row) => row.container.name);
    expect(names('name', 'ascending')).toEqual(['coi-aa-1', 'coi-bb-1', 'webapp']);
    expect(names('name', 'descending')).toEqual(['webapp', 'coi-bb-1', 'coi-aa-1']);
    expect(names('host', 'ascending')).toEqual(['coi-aa-1', 'coi-bb-1', 'webapp']);
    expect(names('snapshots', 'ascending')).toEqual(['coi-bb-1', 'webapp', 'coi-aa-1']);
    expect(names('newest', 'descending')).toEqual(['coi-aa-1', 'webapp', 'coi-bb-1']);
    expect(names('state', 'ascending')).toEqual(['coi-aa-1', 'webapp', 'coi-bb-1']);
    expect(nextSort({ key: 'default', direction: 'ascending' }, 'name')).toEqual({ key: 'name', direction: 'ascending' });
    expect(nextSort({ key: 'name', direction: 'ascending' }, 'name')).toEqual({ key: 'name', direction: 'descending' });
    expect(nextSort({ key: 'name', direction: 'descending' }, 'host')).toEqual({ key: 'host', direction: 'ascending' });
  });

  it('names the containers listed on more than one host', () => {
    const twice = rows([...overview, hostRows({ host: 'spare', status: { state: 'online', latencyMs: 1 }, containers: [container('webapp', false)] })]);
    expect([...repeatedNames(twice)]).toEqual(['webapp']);
  });

  it('knows when no host holds a COI container', () => {
    expect(anyCoi(rows(overview))).toBe(true);
    expect(anyCoi(rows([hostRows({ host: 'h', status: { state: 'online', latencyMs: 1 }, containers: [container('webapp', false)] })]))).toBe(false);
  });

  it("counts a host's containers, running ones, snapshots and the newest", () => {
    expect(hostCounts(overview[1])).toEqual({ containers: 1, running: 1, snapshots: 2, newest: '2026-11-25T12:00:00Z' });
    expect(hostCounts(undefined)).toEqual({ containers: 0, running: 0, snapshots: 0, newest: null });
  });

  it('says snapshots are unknown while any container has not been read, and sorts those rows together', () => {
    const first = { ...overview[0]!, containers: overview[0]!.containers.map((row, index) => (index === 0 ? { ...row, snapshots: null } : row)) };
    expect(hostCounts(first)).toEqual({ containers: 2, running: 1, snapshots: null, newest: null });
    const names = filterRows(rows([first, overview[1]!]), '', { all: true, sort: { key: 'snapshots', direction: 'ascending' } }).map((row) => row.container.name);
    expect(names).toEqual(['webapp', 'coi-bb-1', 'coi-aa-1']);
  });
});

describe('formatting', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('says ages in words', () => {
    expect(age('2026-11-25T11:59:50Z', now)).toBe('just now');
    expect(age('2026-11-25T11:55:00Z', now)).toBe('5 min ago');
    expect(age('2026-11-25T09:00:00Z', now)).toBe('3 h ago');
    expect(age('2026-11-24T12:00:00Z', now)).toBe('1 day ago');
    expect(age('2026-11-29T12:00:00Z', now)).toBe('in 4 days');
    expect(age(null, now)).toBe('—');
  });

  it('round-trips datetime-local values', () => {
    const iso = fromLocalInput('2026-12-31T18:30')!;
    expect(toLocalInput(iso)).toBe('2026-12-31T18:30');
    expect(fromLocalInput('')).toBeNull();
  });

  it('counts down to a retry in seconds, from the clock it is given', () => {
    expect(retryIn('2026-11-25T12:00:12Z', now)).toBe('retry in 12 s');
    expect(retryIn('2026-11-25T12:00:00.400Z', now)).toBe('retry in 1 s');
    expect(retryIn('2026-11-25T12:05:00Z', now)).toBe('retry in 5 min');
    expect(retryIn('2026-11-25T11:59:59Z', now)).toBe('retrying now');
    expect(statusLabel({ state: 'offline', reason: 'r', nextRetryAt: '2026-11-25T12:00:07Z' }, now).text).toBe('Offline · retry in 7 s');
    expect(statusLabel({ state: 'offline', reason: 'r', nextRetryAt: null }, now).text).toBe('Offline');
  });

  it('counts nouns', () => {
    expect(count(1, 'container')).toBe('1 container');
    expect(count(0, 'snapshot')).toBe('0 snapshots');
  });

  it('names host states and their tone', () => {
    expect(statusLabel({ state: 'online', latencyMs: 12 })).toEqual({ text: 'Online · 12 ms', tone: 'ok' });
    expect(statusLabel({ state: 'permission-denied', reason: 'r', fix: 'f' }).tone).toBe('bad');
  });
});

describe('virtual windowing', () => {
  it('renders the rows in view plus a margin, never past the ends', () => {
    expect(visibleRange(25_000, 44, 0, 880)).toEqual({ start: 0, end: 29 });
    expect(visibleRange(25_000, 44, 44 * 10_000, 880)).toEqual({ start: 9_992, end: 10_029 });
    expect(visibleRange(10, 44, 0, 880)).toEqual({ start: 0, end: 10 });
    expect(visibleRange(0, 44, 0, 880)).toEqual({ start: 0, end: 0 });
  });
});

describe('the command palette', () => {
  const commands = ['Go to overview', 'Go to host buildbox', 'Open coi-aa-1', 'Create snapshot', 'Add host'].map((label) => ({ id: label, label, run: () => undefined }));
  it('finds by substring first, then by letters in order', () => {
    expect(matchCommands(commands, 'host').map((c) => c.label)).toEqual(['Add host', 'Go to host buildbox']);
    expect(matchCommands(commands, 'crsnap').map((c) => c.label)).toEqual(['Create snapshot']);
    expect(matchCommands(commands, 'zzz')).toEqual([]);
    expect(matchCommands(commands, '')).toHaveLength(5);
  });
});

describe('routes', () => {
  it('round-trip through the hash, names encoded', () => {
    for (const route of [{ page: 'overview' }, { page: 'host', host: 'build box' }, { page: 'container', host: 'local', container: 'coi-aa-1' }] as const) {
      expect(parseRoute(routeHash(route))).toEqual(route);
    }
    expect(parseRoute('#/nonsense')).toEqual({ page: 'overview' });
    expect(parseRoute('#token=abc&/host/local/container/c1')).toEqual({ page: 'container', host: 'local', container: 'c1' });
    expect(parseRoute('#token=abc')).toEqual({ page: 'overview' });
  });
});

describe('the container timeline', () => {
  const at = (name: string, createdAt: string, description = '') => ({ ...snapshot(name, createdAt), description });
  const list = [at('b', '2026-11-25T10:00:00'), at('pre-restore-20261126-090000', '2026-11-26T09:00:00', 'before the upgrade'), at('a', '2026-11-26T08:00:00')];

  it('groups by local day, newest first, with a heading per day', () => {
    const rows = timelineRows(sortAndFilter(list, '', 'newest'), 'newest', new Date('2026-11-26T12:00:00'));
    expect(rows.map((row) => (row.kind === 'day' ? `${row.label} (${row.count})` : row.snapshot.name))).toEqual(['Today (2)', 'pre-restore-20261126-090000', 'a', 'Yesterday (1)', 'b']);
  });

  it('sorts oldest first or by name (then without day headings) and filters on name and description', () => {
    expect(sortAndFilter(list, '', 'oldest').map((item) => item.name)).toEqual(['b', 'a', 'pre-restore-20261126-090000']);
    expect(timelineRows(sortAndFilter(list, '', 'name'), 'name').map((row) => row.key)).toEqual(['a', 'b', 'pre-restore-20261126-090000']);
    expect(sortAndFilter(list, 'UPGRADE', 'newest').map((item) => item.name)).toEqual(['pre-restore-20261126-090000']);
  });

  it('shows times with seconds and the exact time with its zone', () => {
    expect(clockTime('2026-11-26T23:15:07')).toBe('23:15:07');
    expect(exactTime('2026-11-26T23:15:07')).toMatch(/^2026-11-26 23:15:07 \(UTC[+-]\d\d:\d\d\)$/);
  });

  it('names the first few failures and counts the rest', () => {
    const failed = Array.from({ length: 300 }, (_, index) => ({ name: `s${index}`, error: 'busy' }));
    expect(failureSummary(failed, 310)).toBe("300 of 310 could not be deleted: s0: busy; s1: busy; s2: busy; s3: busy; s4: busy; and 295 more");
  });

  it('titles each page', () => {
    expect(pageTitle({ page: 'overview' })).toBe('Overview · COI Desktop');
    expect(pageTitle({ page: 'container', host: 'lab', container: 'coi-1' })).toBe('coi-1 · lab · COI Desktop');
    expect(pageTitle({ page: 'container', host: 'lab', container: 'coi-1', snapshot: 'snap-1' })).toBe('snap-1 · coi-1 · COI Desktop');
    expect(parseRoute(routeHash({ page: 'container', host: 'lab', container: 'coi-1', snapshot: 'snap 1' }))).toEqual({ page: 'container', host: 'lab', container: 'coi-1', snapshot: 'snap 1' });
  });
});
