import type { InstanceFull, InstanceSnapshot } from './api-schemas';
import { IncusProtocolError } from './errors';

/** Incus writes "0001-01-01T00:00:00Z" for "never"; the app says null. */
const ZERO_TIME = /^0001-01-01T00:00:00/;
export const fromIncusTime = (value: string | null | undefined): string | null => (value && !ZERO_TIME.test(value) ? value : null);

/** What a listing reads of one snapshot in `GET /1.0/instances?recursion=2`. */
export type ListedSnapshot = Pick<InstanceSnapshot, 'name' | 'created_at' | 'expires_at' | 'stateful' | 'size' | 'description' | 'config'>;

/** What a listing reads of one instance in `GET /1.0/instances?recursion=2`; an `InstanceFull` is one too. */
export type ListedInstance = Pick<InstanceFull, 'name' | 'status' | 'type' | 'created_at' | 'location' | 'expanded_config' | 'expanded_devices'> & {
  snapshots: ListedSnapshot[];
};

/** A storage volume, or a volume snapshot (named `instance/snapshot`), as far as the app reads it. */
export interface StorageVolume {
  name: string;
  type: string | null;
  /** '' when the daemon gives none. */
  description: string;
}

type Devices = InstanceFull['expanded_devices'];

/**
 * Checks the daemon's answer to `GET /1.0/instances?recursion=2` field by field, as the zod schemas in
 * api-schemas.ts would, and keeps only what a listing reads. Written by hand because this answer is
 * the big one (about 1 MB for 50 containers × 10 snapshots, 40 MB for 500 × 50): zod took ~40 ms per
 * MB here, and copied every config map it checked. A wrong field throws an IncusProtocolError naming
 * its path, as a zod failure does.
 */
export function readInstanceList(value: unknown, label: string): ListedInstance[] {
  return new Checker(label).array(value, '', instanceReader(label));
}

/** readInstanceList's check of one instance, at `path` (its index), for an answer read item by item. */
export function instanceReader(label: string): (value: unknown, path: string) => ListedInstance {
  const at = new Checker(label);
  return (item, path) => {
    const instance = at.object(item, path);
    return {
      name: at.string(instance.name, `${path}.name`),
      status: at.string(instance.status, `${path}.status`),
      type: at.string(instance.type, `${path}.type`),
      created_at: at.string(instance.created_at, `${path}.created_at`),
      location: at.optionalString(instance.location, `${path}.location`),
      expanded_config: at.stringMap(instance.expanded_config, `${path}.expanded_config`),
      expanded_devices: at.devices(instance.expanded_devices, `${path}.expanded_devices`),
      snapshots: instance.snapshots == null ? [] : at.array(instance.snapshots, `${path}.snapshots`, (raw, where) => snapshot(at, raw, where)),
    };
  };
}

/**
 * Checks the daemon's answer to a volume listing (`GET /1.0/storage-pools/POOL/volumes?recursion=1`,
 * a volume's snapshots), as readInstanceList does, keeping the name, type and description: what the
 * snapshot descriptions are read from. Hand-written for the same reasons, and so that the CLI's local
 * listing loads no zod.
 */
export function readVolumeList(value: unknown, label: string): StorageVolume[] {
  return new Checker(label).array(value, '', volumeReader(label));
}

/** readVolumeList's check of one volume, at `path` (its index). */
export function volumeReader(label: string): (value: unknown, path: string) => StorageVolume {
  const at = new Checker(label);
  return (item, path) => {
    const volume = at.object(item, path);
    return {
      name: at.string(volume.name, `${path}.name`),
      type: at.optionalString(volume.type, `${path}.type`),
      description: at.optionalString(volume.description, `${path}.description`) ?? '',
    };
  };
}

function snapshot(at: Checker, raw: unknown, path: string): ListedSnapshot {
  const snapshot = at.object(raw, path);
  const size = snapshot.size;
  if (size != null && typeof size !== 'number') at.fail(`${path}.size`, 'number');
  return {
    name: at.string(snapshot.name, `${path}.name`),
    created_at: at.string(snapshot.created_at, `${path}.created_at`),
    expires_at: fromIncusTime(at.optionalString(snapshot.expires_at, `${path}.expires_at`)),
    stateful: at.boolean(snapshot.stateful, `${path}.stateful`),
    size: size as number | null | undefined,
    description: at.optionalString(snapshot.description, `${path}.description`) ?? '',
    config: at.stringMap(snapshot.config, `${path}.config`),
  };
}

/** Type checks that throw the error a zod failure would: `unexpected answer from Incus to LABEL at PATH`. */
class Checker {
  constructor(private readonly label: string) {}

  fail(path: string, expected: string): never {
    throw new IncusProtocolError(`unexpected answer from Incus to ${this.label}${path ? ` at ${path}` : ''}: expected ${expected}`);
  }

  string(value: unknown, path: string): string {
    return typeof value === 'string' ? value : this.fail(path, 'string');
  }

  optionalString(value: unknown, path: string): string | null {
    return value == null ? null : this.string(value, path);
  }

  boolean(value: unknown, path: string): boolean {
    return typeof value === 'boolean' ? value : this.fail(path, 'boolean');
  }

  object(value: unknown, path: string): Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : this.fail(path, 'object');
  }

  array<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): T[] {
    if (!Array.isArray(value)) this.fail(path, 'array');
    return value.map((entry, index) => item(entry, path ? `${path}.${index}` : String(index)));
  }

  /** A map of strings, as it came (absent or null: empty). */
  stringMap(value: unknown, path: string): Record<string, string> {
    if (value == null) return {};
    const map = this.object(value, path);
    for (const key in map) if (typeof map[key] !== 'string') this.fail(`${path}.${key}`, 'string');
    return map as Record<string, string>;
  }

  devices(value: unknown, path: string): Devices {
    if (value == null) return {};
    const map = this.object(value, path);
    for (const key in map) {
      if (map[key] == null) this.fail(`${path}.${key}`, 'object');
      this.stringMap(map[key], `${path}.${key}`);
    }
    return map as Devices;
  }
}
