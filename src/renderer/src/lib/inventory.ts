import type { Container, HostOverview, Snapshot } from '../../../shared/model';

/** One container with the host it lives on, as the overview's single list shows it. */
export interface ContainerRow {
  host: string;
  container: Container;
  newest: Snapshot | undefined;
}

export function rows(overview: readonly HostOverview[]): ContainerRow[] {
  return overview.flatMap((host) => host.containers.map((container) => ({ host: host.host, container, newest: container.snapshots[0] })));
}

/** The overview list's columns a user can sort by; `default` is COI containers first, then by name. */
export type SortKey = 'default' | 'name' | 'host' | 'state' | 'snapshots' | 'newest';
export interface SortOrder {
  key: SortKey;
  direction: 'ascending' | 'descending';
}

const byName = (a: ContainerRow, b: ContainerRow) => a.container.name.localeCompare(b.container.name) || a.host.localeCompare(b.host);
const newestTime = (row: ContainerRow) => (row.newest ? Date.parse(row.newest.createdAt) : -Infinity);
const COMPARE: Record<SortKey, (a: ContainerRow, b: ContainerRow) => number> = {
  default: (a, b) => Number(b.container.coi) - Number(a.container.coi) || byName(a, b),
  name: byName,
  host: (a, b) => a.host.localeCompare(b.host) || byName(a, b),
  state: (a, b) => a.container.status.localeCompare(b.container.status) || byName(a, b),
  snapshots: (a, b) => a.container.snapshots.length - b.container.snapshots.length || byName(a, b),
  newest: (a, b) => newestTime(a) - newestTime(b) || byName(a, b),
};

/**
 * The searchable list across hosts: only COI containers unless `all`; `query` matches container, host
 * or status, every word somewhere; sorted as `sort` says (COI containers first, then by name, by default).
 */
export function filterRows(all: readonly ContainerRow[], query: string, options: { all: boolean; sort?: SortOrder }): ContainerRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const sort = options.sort ?? { key: 'default', direction: 'ascending' };
  const sign = sort.direction === 'descending' ? -1 : 1;
  return all
    .filter((row) => options.all || row.container.coi)
    .filter((row) => {
      const text = `${row.container.name} ${row.host} ${row.container.status}`.toLowerCase();
      return words.every((word) => text.includes(word));
    })
    .sort((a, b) => sign * COMPARE[sort.key](a, b));
}

/** The order after a click on a column's header: that column ascending, or the other way round if it already sorts. */
export function nextSort(current: SortOrder, key: Exclude<SortKey, 'default'>): SortOrder {
  if (current.key !== key) return { key, direction: 'ascending' };
  return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
}

/** True when some host holds a COI container: without one, the overview shows every instance instead. */
export function anyCoi(all: readonly ContainerRow[]): boolean {
  return all.some((row) => row.container.coi);
}

export interface HostCounts {
  containers: number;
  running: number;
  snapshots: number;
  newest: string | null;
}

export function hostCounts(host: HostOverview | undefined): HostCounts {
  const containers = host?.containers ?? [];
  const snapshots = containers.flatMap((container) => container.snapshots);
  const newest = snapshots.reduce<string | null>((latest, snapshot) => (!latest || Date.parse(snapshot.createdAt) > Date.parse(latest) ? snapshot.createdAt : latest), null);
  return { containers: containers.length, running: containers.filter((container) => container.status === 'Running').length, snapshots: snapshots.length, newest };
}
