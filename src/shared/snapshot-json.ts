import type { HeldMount, NotCaptured, Snapshot, SnapshotDetail } from './model';

/**
 * The JSON shapes `coi snapshot … --format json` prints, so scripts written for coi keep working.
 * The CLI prints them and the UI's "Copy JSON" copies the same.
 */
export function snapshotJson(snapshot: Snapshot) {
  return {
    name: snapshot.name,
    created_at: snapshot.createdAt,
    expires_at: snapshot.expiresAt,
    stateful: snapshot.stateful,
    size: snapshot.sizeBytes,
    description: snapshot.description,
  };
}

/** `snapshot list --all --format json`: each container's snapshots, by container name, in the listing's order. */
export function allSnapshotsJson(containers: readonly { name: string; snapshots: readonly Snapshot[] }[]): Record<string, ReturnType<typeof snapshotJson>[]> {
  return Object.fromEntries(containers.map((container) => [container.name, container.snapshots.map(snapshotJson)]));
}

/** `snapshot info --format json`: the list fields plus the snapshot's detail. */
export function snapshotDetailJson(detail: SnapshotDetail) {
  return {
    ...snapshotJson(detail),
    container: detail.container,
    last_used_at: detail.lastUsedAt,
    architecture: detail.architecture,
    ephemeral: detail.ephemeral,
    profiles: detail.profiles,
    config: detail.config,
    devices: detail.devices,
    mounts_included: (detail.mounts ?? []).map(heldMountJson),
    not_captured: (detail.notCaptured ?? []).map(notCapturedJson),
  };
}

/** A disk no snapshot holds, as `snapshot info` and `container list --format json` print it. */
export const notCapturedJson = (mount: NotCaptured) => ({ path: mount.path, source: mount.source, kind: mount.kind });
const heldMountJson = (mount: HeldMount) => ({ path: mount.path, source: mount.source, bytes: mount.bytes, files: mount.files, excludes: mount.excludes });

/** JSON as the CLI prints it and the UI copies it: two-space indented, one trailing newline. */
export const toJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
