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

/**
 * The searchable list across hosts: COI containers first (then by name), only COI containers unless
 * `all`; `query` matches container, host or status, every word somewhere.
 */
export function filterRows(all: readonly ContainerRow[], query: string, options: { all: boolean }): ContainerRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return all
    .filter((row) => options.all || row.container.coi)
    .filter((row) => {
      const text = `${row.container.name} ${row.host} ${row.container.status}`.toLowerCase();
      return words.every((word) => text.includes(word));
    })
    .sort((a, b) => Number(b.container.coi) - Number(a.container.coi) || a.container.name.localeCompare(b.container.name) || a.host.localeCompare(b.host));
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
