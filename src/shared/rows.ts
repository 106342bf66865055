import type { Container, ContainerRow, HostOverview, HostRows } from './model';

// Free of zod (types only from ./model): the renderer's first script, the overview, uses these without
// loading the contract's schemas. model.ts re-exports them.

/** A container read with its snapshots (newest first), as a list row. */
export function containerRow({ snapshots, ...container }: Container): ContainerRow {
  const newest = snapshots[0];
  return { ...container, snapshots: { count: snapshots.length, newest: newest ? { name: newest.name, createdAt: newest.createdAt } : null } };
}

/** A host's containers read with their snapshots, as list rows. */
export function hostRows(host: HostOverview): HostRows {
  return { ...host, containers: host.containers.map(containerRow) };
}
