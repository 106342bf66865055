import type { Snapshot, SnapshotTally } from '../../shared/model';
import type { ListedInstance, ListedSnapshot, StorageVolume } from '../incus/instance-list';
import { isCoiContainer } from './coi-naming';

// The listing's view of the daemon's answers, shared by SnapshotService and the CLI's local listing
// (cli/local-list.ts), which loads neither zod nor the service: nothing here may import them.

/** A snapshot as the listing shows it; `description` (from its volume snapshot) wins over the snapshot's own. */
export function listedSnapshot(snapshot: ListedSnapshot, description?: string): Snapshot {
  return {
    name: snapshot.name,
    createdAt: snapshot.created_at,
    expiresAt: snapshot.expires_at,
    stateful: snapshot.stateful,
    sizeBytes: sizeBytes(snapshot),
    description: description || snapshot.description,
  };
}

const sizeBytes = (snapshot: ListedSnapshot) => (typeof snapshot.size === 'number' && snapshot.size >= 0 ? snapshot.size : null);

/** An instance's snapshots, newest first, each made by `read` with its description. */
export function snapshotsOf(instance: ListedInstance, descriptions: ReadonlyMap<string, string>, read: (snapshot: ListedSnapshot, description?: string) => Snapshot = listedSnapshot): Snapshot[] {
  return instance.snapshots.map((snapshot) => read(snapshot, descriptions.get(`${instance.name}/${snapshot.name}`))).sort(newestFirst);
}

/**
 * An instance's snapshots counted, and the newest named (the first of snapshotsOf), without making
 * any: what a list row shows of them.
 */
export function snapshotTally(snapshots: readonly ListedSnapshot[]): SnapshotTally {
  let newest: { name: string; createdAt: string } | null = null;
  for (const snapshot of snapshots) {
    const candidate = { name: snapshot.name, createdAt: snapshot.created_at };
    if (!newest || newestFirst(candidate, newest) < 0) newest = candidate;
  }
  return { count: snapshots.length, newest };
}

/** A volume that gives an instance snapshot its description: a volume snapshot (`instance/snapshot`, not a custom volume's) that has one. */
export const describesSnapshot = (volume: StorageVolume) => volume.name.includes('/') && volume.type !== 'custom' && volume.description !== '';

/** The snapshot descriptions among a pool's volumes, by `instance/snapshot` (custom volumes' snapshots and empty descriptions left out). */
export function descriptionsOf(volumes: readonly StorageVolume[]): Map<string, string> {
  return new Map(volumes.filter(describesSnapshot).map((volume) => [volume.name, volume.description]));
}

/** The COI containers among `instances` in the listing's order, each with its snapshots: what `snapshot list --all` prints. */
export function coiSnapshotLists(instances: readonly ListedInstance[], descriptions: ReadonlyMap<string, string>, prefix: string): { name: string; snapshots: Snapshot[] }[] {
  return instances
    .filter((instance) => isCoiContainer(instance.name, prefix))
    .map((instance) => ({ coi: true, name: instance.name, snapshots: snapshotsOf(instance, descriptions) }))
    .sort(coiFirst);
}

/** COI containers first, then by name. */
export const coiFirst = (a: { coi: boolean; name: string }, b: { coi: boolean; name: string }) => Number(b.coi) - Number(a.coi) || a.name.localeCompare(b.name);

/** Incus trims trailing zeros of fractional seconds, so times are compared as dates, not strings. */
export const newestFirst = (a: Pick<Snapshot, 'name' | 'createdAt'>, b: Pick<Snapshot, 'name' | 'createdAt'>) =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.name.localeCompare(a.name);
