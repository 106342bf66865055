import type { ContainerRow, HostRows } from '../../../shared/model';

/** One container with the host it lives on, as the overview's single list shows it. */
export interface ListRow {
  host: string;
  container: ContainerRow;
  /** What searching and sorting compare, computed once per read rather than in every comparison. */
  search: string;
  /** The newest snapshot's time (ms); -Infinity without one or while not read. */
  newest: number;
  /** The snapshot count; -1 while not read, so those rows sort together. */
  count: number;
}

export function rows(hosts: readonly HostRows[]): ListRow[] {
  return hosts.flatMap((host) =>
    host.containers.map((container) => ({
      host: host.host,
      container,
      search: `${container.name} ${host.host} ${container.status}`.toLowerCase(),
      newest: container.snapshots?.newest ? Date.parse(container.snapshots.newest.createdAt) : -Infinity,
      count: container.snapshots?.count ?? -1,
    })),
  );
}

/** The overview list's columns a user can sort by; `default` is COI containers first, then by name. */
export type SortKey = 'default' | 'name' | 'host' | 'state' | 'snapshots' | 'newest';
export interface SortOrder {
  key: SortKey;
  direction: 'ascending' | 'descending';
}

// One collator for every comparison: the same order as localeCompare, without its per-call set-up.
const { compare } = new Intl.Collator();
const byName = (a: ListRow, b: ListRow) => compare(a.container.name, b.container.name) || compare(a.host, b.host);
const COMPARE: Record<SortKey, (a: ListRow, b: ListRow) => number> = {
  default: (a, b) => Number(b.container.coi) - Number(a.container.coi) || byName(a, b),
  name: byName,
  host: (a, b) => compare(a.host, b.host) || byName(a, b),
  state: (a, b) => compare(a.container.status, b.container.status) || byName(a, b),
  snapshots: (a, b) => a.count - b.count || byName(a, b),
  newest: (a, b) => (a.newest === b.newest ? 0 : a.newest < b.newest ? -1 : 1) || byName(a, b),
};

/**
 * The searchable list across hosts: only COI containers unless `all`; `query` matches container, host
 * or status, every word somewhere; sorted as `sort` says (COI containers first, then by name, by default).
 */
export function filterRows(all: readonly ListRow[], query: string, options: { all: boolean; sort?: SortOrder }): ListRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const sort = options.sort ?? { key: 'default', direction: 'ascending' };
  const sign = sort.direction === 'descending' ? -1 : 1;
  const compareRows = COMPARE[sort.key];
  return all
    .filter((row) => (options.all || row.container.coi) && words.every((word) => row.search.includes(word)))
    .sort((a, b) => sign * compareRows(a, b));
}

/** The order after a click on a column's header: that column ascending, or the other way round if it already sorts. */
export function nextSort(current: SortOrder, key: Exclude<SortKey, 'default'>): SortOrder {
  if (current.key !== key) return { key, direction: 'ascending' };
  return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
}

/** The container names listed more than once (on several hosts), in one pass: thousands of rows stay linear. */
export function repeatedNames(list: readonly ListRow[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { container } of list) (seen.has(container.name) ? repeated : seen).add(container.name);
  return repeated;
}

/** True when some host holds a COI container: without one, the overview shows every instance instead. */
export function anyCoi(all: readonly ListRow[]): boolean {
  return all.some((row) => row.container.coi);
}

export interface HostCounts {
  containers: number;
  running: number;
  /** Null while some container's snapshots have not been read: no partial sum is shown as the total. */
  snapshots: number | null;
  newest: string | null;
}

export function hostCounts(host: HostRows | undefined): HostCounts {
  const containers = host?.containers ?? [];
  let snapshots: number | null = 0;
  let newest: { at: number; createdAt: string } | null = null;
  for (const { snapshots: tally } of containers) {
    if (!tally) {
      snapshots = null;
      continue;
    }
    if (snapshots !== null) snapshots += tally.count;
    const at = tally.newest ? Date.parse(tally.newest.createdAt) : -Infinity;
    if (tally.newest && (!newest || at > newest.at)) newest = { at, createdAt: tally.newest.createdAt };
  }
  return { containers: containers.length, running: containers.filter((container) => container.status === 'Running').length, snapshots, newest: snapshots === null ? null : (newest?.createdAt ?? null) };
}
