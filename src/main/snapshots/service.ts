import { instanceNameProblem, snapshotNameProblem, timestampedName } from '../../shared/names';
import type { Container, DeleteOutcome, RestoreResult, Snapshot, SnapshotDetail } from '../../shared/model';
import type { InstanceFull, InstanceSnapshot } from '../incus/api-schemas';
import type { IncusClient, WaitOptions } from '../incus/client';
import { isNotFound } from '../incus/errors';
import * as api from '../incus/instances';
import { AppError, toErrorInfo } from '../errors';
import { isCoiContainer } from './coi-naming';
import { branchName, freeName } from './naming';

export interface SnapshotServiceOptions {
  /** code-on-incus container name prefix (`COI_CONTAINER_PREFIX`, default `coi-`). */
  coiPrefix: string;
  now?: () => Date;
}

export interface CreateOptions {
  name?: string;
  stateful?: boolean;
  expiresAt?: string;
  wait?: WaitOptions;
}

export interface RestoreOptions {
  stateful?: boolean;
  /** Take a `pre-restore-…` snapshot first so the restore can be undone (default true). */
  safetySnapshot?: boolean;
  /** Asked after every check has passed and before anything changes; false aborts. */
  confirm?: () => Promise<boolean>;
  wait?: WaitOptions;
}

const RUNNING_STATES = new Set(['Running', 'Frozen']);

/** The snapshot behaviour of `coi snapshot`, over one Incus daemon. */
export class SnapshotService {
  private readonly now: () => Date;

  constructor(
    private readonly client: IncusClient,
    private readonly options: SnapshotServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Every instance with its snapshots, COI containers first, in one request. */
  async listContainers(): Promise<Container[]> {
    const containers = (await api.listInstances(this.client)).map((instance) => this.toContainer(instance));
    return containers.sort((a, b) => Number(b.coi) - Number(a.coi) || a.name.localeCompare(b.name));
  }

  async listCoiContainers(): Promise<Container[]> {
    return (await this.listContainers()).filter((container) => container.coi);
  }

  listContainerNames(): Promise<string[]> {
    return api.listInstanceNames(this.client);
  }

  async getContainer(name: string): Promise<Container> {
    return this.toContainer(await this.instance(name));
  }

  async listSnapshots(container: string): Promise<Snapshot[]> {
    return (await this.getContainer(container)).snapshots;
  }

  async create(container: string, options: CreateOptions = {}): Promise<Snapshot> {
    if (options.name !== undefined) assertSnapshotName(options.name);
    const instance = await this.instance(container);
    const taken = new Set(instance.snapshots.map((snapshot) => snapshot.name));
    const name = options.name ?? freeName(timestampedName('snap', this.now()), taken);
    if (taken.has(name)) {
      throw new AppError('already-exists', `snapshot '${name}' already exists for container '${container}'`);
    }
    const stateful = options.stateful ?? false;
    await api.createSnapshot(this.client, container, { name, stateful, expiresAt: options.expiresAt }, options.wait);
    return toSnapshot(await api.getSnapshot(this.client, container, name));
  }

  /** Restores a stopped container; null when `confirm` declined. */
  async restore(container: string, snapshot: string, options: RestoreOptions = {}): Promise<RestoreResult | null> {
    assertSnapshotName(snapshot);
    const instance = await this.instance(container);
    const target = instance.snapshots.find((candidate) => candidate.name === snapshot);
    if (!target) throw snapshotNotFound(container, snapshot, instance);
    if (RUNNING_STATES.has(instance.status)) {
      throw new AppError(
        'container-running',
        `container '${container}' must be stopped before restore (it is ${instance.status.toLowerCase()}; use 'coi-desktop container stop ${container}')`,
      );
    }
    const stateful = options.stateful ?? false;
    if (stateful && !target.stateful) {
      throw new AppError(
        'not-stateful',
        `snapshot '${snapshot}' of container '${container}' holds no process memory; restore it without --stateful`,
      );
    }
    if (options.confirm && !(await options.confirm())) return null;
    const safetySnapshot = options.safetySnapshot === false ? null : await this.takeSafetySnapshot(instance, options.wait);
    await api.restoreSnapshot(this.client, container, snapshot, stateful, options.wait);
    return { container, snapshot, stateful, safetySnapshot };
  }

  async delete(container: string, snapshot: string, wait?: WaitOptions): Promise<void> {
    assertSnapshotName(snapshot);
    try {
      await api.deleteSnapshot(this.client, container, snapshot, wait);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw snapshotNotFound(container, snapshot, await this.instance(container));
    }
  }

  /** Deletes each named snapshot in turn; one failure is reported and does not stop the others. */
  async deleteMany(container: string, snapshots: readonly string[], onEach?: (outcome: DeleteOutcome) => void): Promise<DeleteOutcome[]> {
    const outcomes: DeleteOutcome[] = [];
    for (const name of snapshots) {
      const outcome = await this.delete(container, name).then(
        (): DeleteOutcome => ({ name, ok: true }),
        (error: unknown): DeleteOutcome => ({ name, ok: false, error: toErrorInfo(error).message }),
      );
      outcomes.push(outcome);
      onEach?.(outcome);
    }
    return outcomes;
  }

  async info(container: string, snapshot: string): Promise<SnapshotDetail> {
    assertSnapshotName(snapshot);
    try {
      return toSnapshotDetail(container, await api.getSnapshot(this.client, container, snapshot));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw snapshotNotFound(container, snapshot, await this.instance(container));
    }
  }

  /** A new container copied from a snapshot; returns the new container's name. */
  async branch(container: string, snapshot: string, target?: string, wait?: WaitOptions): Promise<string> {
    assertSnapshotName(snapshot);
    const instance = await this.instance(container);
    if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) throw snapshotNotFound(container, snapshot, instance);
    const names = new Set(await api.listInstanceNames(this.client));
    const name = target ?? branchName(container, snapshot, names);
    const problem = instanceNameProblem(name);
    if (problem) throw new AppError('invalid-input', problem);
    if (names.has(name)) throw new AppError('already-exists', `a container named '${name}' already exists`);
    await api.copyFromSnapshot(this.client, container, snapshot, name, wait);
    return name;
  }

  /** Renames a snapshot; the new name is held to the same rules as a new snapshot's. */
  async rename(container: string, snapshot: string, newName: string, wait?: WaitOptions): Promise<Snapshot> {
    assertSnapshotName(snapshot);
    assertSnapshotName(newName);
    const instance = await this.instance(container);
    if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) throw snapshotNotFound(container, snapshot, instance);
    if (instance.snapshots.some((candidate) => candidate.name === newName)) {
      throw new AppError('already-exists', `snapshot '${newName}' already exists for container '${container}'`);
    }
    await api.renameSnapshot(this.client, container, snapshot, newName, wait);
    return toSnapshot(await api.getSnapshot(this.client, container, newName));
  }

  /** Sets when Incus deletes the snapshot (ISO time), or never (null). */
  async setExpiry(container: string, snapshot: string, expiresAt: string | null, wait?: WaitOptions): Promise<Snapshot> {
    assertSnapshotName(snapshot);
    try {
      await api.setSnapshotExpiry(this.client, container, snapshot, expiresAt, wait);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw snapshotNotFound(container, snapshot, await this.instance(container));
    }
    return toSnapshot(await api.getSnapshot(this.client, container, snapshot));
  }

  async start(container: string, wait?: WaitOptions): Promise<void> {
    await this.instance(container);
    await api.changeState(this.client, container, 'start', {}, wait);
  }

  /** Stops gracefully, waiting up to `timeoutSeconds`, then forces the stop. */
  async stop(container: string, options: { timeoutSeconds?: number; force?: boolean } = {}, wait?: WaitOptions): Promise<void> {
    await this.instance(container);
    await api.changeState(this.client, container, 'stop', { force: options.force ?? false, timeoutSeconds: options.timeoutSeconds ?? 30 }, wait);
  }

  private async takeSafetySnapshot(instance: InstanceFull, wait?: WaitOptions): Promise<string> {
    const taken = new Set(instance.snapshots.map((snapshot) => snapshot.name));
    const name = freeName(timestampedName('pre-restore', this.now()), taken);
    try {
      await api.createSnapshot(this.client, instance.name, { name, stateful: false }, wait);
    } catch (error) {
      throw new AppError(
        'safety-snapshot-failed',
        `restore not started: the safety snapshot '${name}' could not be taken (${toErrorInfo(error).message}); nothing was changed. To restore without a safety snapshot, turn it off (--no-safety-snapshot).`,
      );
    }
    return name;
  }

  private async instance(name: string): Promise<InstanceFull> {
    const problem = instanceNameProblem(name);
    if (problem) throw new AppError('invalid-input', problem);
    try {
      return await api.getInstance(this.client, name);
    } catch (error) {
      if (isNotFound(error)) throw new AppError('not-found', `container '${name}' not found`);
      throw error;
    }
  }

  private toContainer(instance: InstanceFull): Container {
    return {
      name: instance.name,
      status: instance.status,
      type: instance.type,
      createdAt: instance.created_at,
      coi: isCoiContainer(instance.name, this.options.coiPrefix),
      statefulCapable: instance.expanded_config['migration.stateful'] === 'true',
      snapshots: instance.snapshots.map(toSnapshot).sort(newestFirst),
    };
  }
}

function assertSnapshotName(name: string): void {
  const problem = snapshotNameProblem(name);
  if (problem) throw new AppError('invalid-input', problem);
}

function snapshotNotFound(container: string, snapshot: string, instance: InstanceFull): AppError {
  const names = instance.snapshots.map((candidate) => candidate.name);
  const known = names.length > 0 ? ` (it has: ${names.join(', ')})` : ' (it has no snapshots)';
  return new AppError('not-found', `snapshot '${snapshot}' not found for container '${container}'${known}`);
}

/** Incus trims trailing zeros of fractional seconds, so times are compared as dates, not strings. */
const newestFirst = (a: Snapshot, b: Snapshot) =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.name.localeCompare(a.name);

function toSnapshot(snapshot: InstanceSnapshot): Snapshot {
  return {
    name: snapshot.name,
    createdAt: snapshot.created_at,
    expiresAt: snapshot.expires_at,
    stateful: snapshot.stateful,
    sizeBytes: typeof snapshot.size === 'number' && snapshot.size >= 0 ? snapshot.size : null,
    description: snapshot.description,
  };
}

function toSnapshotDetail(container: string, snapshot: InstanceSnapshot): SnapshotDetail {
  return {
    ...toSnapshot(snapshot),
    container,
    architecture: snapshot.architecture,
    ephemeral: snapshot.ephemeral,
    lastUsedAt: snapshot.last_used_at,
    profiles: snapshot.profiles,
    config: snapshot.config,
    devices: snapshot.devices,
  };
}
