import { z } from 'zod';
import { ClusterMemberApiSchema, InstanceFullSchema, InstanceSnapshotSchema, type ClusterMemberApi, type InstanceFull, type InstanceSnapshot, type Operation } from './api-schemas';
import type { IncusClient, WaitOptions } from './client';
import { IncusInterruptedError, isNotFound } from './errors';
import { instanceReader, readVolumeList, volumeReader, type ListedInstance, type StorageVolume } from './instance-list';
import { INSTANCE_LIST_PATH, INSTANCE_NAMES_PATH, instanceFullPath, nameOf, POOL_LIST_PATH, poolVolumesPath } from './request-target';

/** The Incus endpoints the app uses, one function each; names are encoded, never trusted raw. */
const enc = encodeURIComponent;
const instancePath = (name: string) => `/1.0/instances/${enc(name)}`;
const snapshotPath = (instance: string, snapshot: string) => `${instancePath(instance)}/snapshots/${enc(snapshot)}`;

/** Every instance with its state and snapshots, in one request read instance by instance; only what a listing reads is kept. */
export function listInstances(client: IncusClient): Promise<ListedInstance[]> {
  return listInstancesAs(client, (instance) => instance);
}

/**
 * listInstances, each instance turned by `keep` into what the caller holds as soon as it is read: the
 * instance as read (its snapshots' config maps, the instance's expanded config) is then garbage while
 * it is still young, never copied into the old generation, where it would stay until a full collection.
 */
export async function listInstancesAs<T>(client: IncusClient, keep: (instance: ListedInstance) => T): Promise<T[]> {
  const read = instanceReader(`GET ${INSTANCE_LIST_PATH}`);
  return inProjectThatExists(client, await client.readItems(INSTANCE_LIST_PATH, (value, path) => keep(read(value, path))));
}

/**
 * Every instance without its state and snapshots (the daemon's fast answer: it computes no instance's
 * state), checked and kept as listInstancesAs does; each listed with no snapshots.
 */
export async function listInstanceHeadsAs<T>(client: IncusClient, keep: (instance: ListedInstance) => T): Promise<T[]> {
  const read = instanceReader(`GET ${INSTANCE_HEADS_PATH}`);
  return inProjectThatExists(client, await client.readItems(INSTANCE_HEADS_PATH, (value, path) => keep(read(value, path))));
}

const INSTANCE_HEADS_PATH = '/1.0/instances?recursion=1';

/**
 * `instances`, once an empty list is known to be a project's own: Incus lists no instances, without an
 * error, in a project it does not have. An empty list in a project other than the default one asks
 * for the project, whose 404 the client reports naming it (`projectMissing`).
 */
async function inProjectThatExists<T>(client: IncusClient, instances: T[]): Promise<T[]> {
  if (instances.length === 0 && client.project !== 'default') await client.query('GET', `/1.0/projects/${encodeURIComponent(client.project)}`, z.unknown());
  return instances;
}

export function getInstance(client: IncusClient, name: string): Promise<InstanceFull> {
  return client.query('GET', instanceFullPath(name), InstanceFullSchema);
}

export function getSnapshot(client: IncusClient, instance: string, snapshot: string): Promise<InstanceSnapshot> {
  return client.query('GET', snapshotPath(instance, snapshot), InstanceSnapshotSchema);
}

export interface CreateSnapshotRequest {
  name: string;
  stateful: boolean;
  /** ISO time; absent means the instance's snapshots.expiry setting applies. */
  expiresAt?: string;
}

export function createSnapshot(client: IncusClient, instance: string, req: CreateSnapshotRequest, wait?: WaitOptions): Promise<Operation> {
  const body: Record<string, unknown> = { name: req.name, stateful: req.stateful };
  if (req.expiresAt) body.expires_at = req.expiresAt;
  return client.run('POST', `${instancePath(instance)}/snapshots`, body, wait);
}

/** `PUT /1.0/instances/{name}` with `restore` set restores instead of replacing the configuration. */
export function restoreSnapshot(client: IncusClient, instance: string, snapshot: string, stateful: boolean, wait?: WaitOptions): Promise<Operation> {
  return client.run('PUT', instancePath(instance), { restore: snapshot, stateful }, wait);
}

export function deleteSnapshot(client: IncusClient, instance: string, snapshot: string, wait?: WaitOptions): Promise<Operation> {
  return client.run('DELETE', snapshotPath(instance, snapshot), undefined, wait);
}

export function renameSnapshot(client: IncusClient, instance: string, snapshot: string, newName: string, wait?: WaitOptions): Promise<Operation> {
  return client.run('POST', snapshotPath(instance, snapshot), { name: newName }, wait);
}

/** Incus's "never": the zero time clears a snapshot's expiry. */
const NEVER = '0001-01-01T00:00:00Z';

export function setSnapshotExpiry(client: IncusClient, instance: string, snapshot: string, expiresAt: string | null, wait?: WaitOptions): Promise<Operation> {
  return client.run('PATCH', snapshotPath(instance, snapshot), { expires_at: expiresAt ?? NEVER }, wait);
}

/** A new instance copied from `instance/snapshot`; in a cluster, on `member` (`?target=`) when given. */
export function copyFromSnapshot(client: IncusClient, instance: string, snapshot: string, target: string, wait?: WaitOptions, member?: string): Promise<Operation> {
  const body = { name: target, source: { type: 'copy', source: `${instance}/${snapshot}` } };
  return client.run('POST', `/1.0/instances${member ? `?target=${enc(member)}` : ''}`, body, wait);
}

/** The members of a cluster, with their status and roles. */
export function listClusterMembers(client: IncusClient): Promise<ClusterMemberApi[]> {
  return client.query('GET', '/1.0/cluster/members?recursion=1', z.array(ClusterMemberApiSchema));
}

export type StateAction = 'start' | 'stop' | 'restart' | 'freeze' | 'unfreeze';

export function changeState(
  client: IncusClient,
  instance: string,
  action: StateAction,
  options: { force?: boolean; timeoutSeconds?: number } = {},
  wait?: WaitOptions,
): Promise<Operation> {
  const body = { action, force: options.force ?? false, timeout: options.timeoutSeconds ?? 30 };
  return client.run('PUT', `${instancePath(instance)}/state`, body, wait);
}

/** The names of all instances: one light request (no state, no snapshots). */
export async function listInstanceNames(client: IncusClient): Promise<string[]> {
  return inProjectThatExists(client, (await client.query('GET', INSTANCE_NAMES_PATH, z.array(z.string()))).map(nameOf));
}

/** The names of the storage pools. */
export async function listPoolNames(client: IncusClient): Promise<string[]> {
  return (await client.query('GET', POOL_LIST_PATH, z.array(z.string()))).map(nameOf);
}

/** The driver of storage pool `pool` (`dir`, `zfs`, `btrfs`, `lvm`, …). */
export async function getPoolDriver(client: IncusClient, pool: string): Promise<string> {
  return (await client.query('GET', `${POOL_LIST_PATH}/${enc(pool)}`, z.object({ driver: z.string() }))).driver;
}

/**
 * Where an instance's snapshots keep their descriptions: Incus 6.0 has no description on instance
 * snapshots, but each one is backed by a snapshot of the instance's root volume, which has one.
 */
export interface SnapshotVolumes {
  pool: string;
  /** The volume type: `container` or `virtual-machine`. */
  type: string;
  instance: string;
}

const volumeSnapshotsPath = (at: SnapshotVolumes) =>
  `/1.0/storage-pools/${enc(at.pool)}/volumes/${enc(at.type)}/${enc(at.instance)}/snapshots`;

/** The volume snapshots of one instance's root volume (names `instance/snapshot`). */
export function listVolumeSnapshots(client: IncusClient, at: SnapshotVolumes): Promise<StorageVolume[]> {
  return client.read('GET', `${volumeSnapshotsPath(at)}?recursion=1`, readVolumeList);
}

/** The volumes of a pool that `keep` keeps, volume snapshots included (named `instance/snapshot`): each is let go as soon as it is read. */
export function listPoolVolumes(client: IncusClient, pool: string, keep: (volume: StorageVolume) => boolean): Promise<StorageVolume[]> {
  const path = poolVolumesPath(pool);
  const read = volumeReader(`GET ${path}`);
  return client.readItems(path, (value, at) => {
    const volume = read(value, at);
    return keep(volume) ? volume : undefined;
  });
}

export async function setVolumeSnapshotDescription(client: IncusClient, at: SnapshotVolumes, snapshot: string, description: string): Promise<void> {
  await client.query('PATCH', `${volumeSnapshotsPath(at)}/${enc(snapshot)}`, z.unknown(), { description });
}
/** The instance's own configuration (without what its profiles add). */
export async function getInstanceConfig(client: IncusClient, instance: string): Promise<Record<string, string>> {
  const answer = await client.query('GET', instancePath(instance), z.object({ config: z.record(z.string(), z.string()).nullish() }));
  return answer.config ?? {};
}

/** Replaces the given keys of an instance's configuration; an empty value removes the key. */
export async function patchInstanceConfig(client: IncusClient, instance: string, config: Record<string, string>): Promise<void> {
  await client.query('PATCH', instancePath(instance), z.unknown(), { config });
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** An exec's output as bytes (file names in it need not be UTF-8). */
export interface ExecBytes {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

const ExecMetadataSchema = z.object({
  return: z.number(),
  output: z.record(z.string(), z.string()).nullish(),
});

/**
 * Runs `command` in a running instance through `POST /1.0/instances/{name}/exec` (no websocket: the
 * output is recorded by the daemon, read back and its log files removed). Works over every transport.
 */
export async function execInstance(client: IncusClient, instance: string, command: readonly string[], wait?: WaitOptions): Promise<ExecResult> {
  const result = await execInstanceBytes(client, instance, command, wait);
  return { exitCode: result.exitCode, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
}

/** The path and body of the exec request `execInstanceBytes` sends (the CLI may send it early: cli/early-listing.ts). */
export function execRequest(instance: string, command: readonly string[]): { path: string; body: object } {
  return { path: `${instancePath(instance)}/exec`, body: { command, 'wait-for-websocket': false, 'record-output': true, interactive: false, environment: { LC_ALL: 'C' } } };
}

/** The output logs an exec's finished operation names (`execInstanceBytes` downloads and removes them). */
export function execLogs(metadata: unknown): Record<string, string> {
  return ExecMetadataSchema.partial().safeParse(metadata).data?.output ?? {};
}

/** `execInstance`, with the output as bytes. */
export function execInstanceBytes(client: IncusClient, instance: string, command: readonly string[], wait?: WaitOptions): Promise<ExecBytes> {
  return execInstanceReading(client, instance, command, wait, (result) => result);
}

/**
 * `execInstanceBytes`, its output given to `read` while the daemon removes the output logs: the
 * removal's round trip no longer holds back what reads a listing. Resolves once both are done.
 */
export async function execInstanceReading<T>(client: IncusClient, instance: string, command: readonly string[], wait: WaitOptions | undefined, read: (result: ExecBytes) => T): Promise<T> {
  const { path, body } = execRequest(instance, command);
  const operation = await client.run('POST', path, body, wait).catch(async (error: unknown) => {
    if (error instanceof IncusInterruptedError && error.operationId) await removeUnreadLogs(client.detached(), instance, error.operationId);
    throw error;
  });
  const metadata = ExecMetadataSchema.safeParse(operation.metadata);
  if (!metadata.success) throw new Error(`unexpected answer from Incus to exec in '${instance}': no exit code`);
  const logs = [metadata.data.output?.['1'], metadata.data.output?.['2']];
  const download = async (log: string | undefined) => {
    if (!log) return Buffer.alloc(0);
    const { body } = await client.download(log, wait?.signal);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  // both logs at once, then both removed (a leftover log is harmless) while the output is read
  const [stdout, stderr] = await Promise.allSettled(logs.map(download));
  const removed = Promise.all(logs.map((log) => log && client.query('DELETE', log, z.unknown()).catch(() => undefined)));
  try {
    if (stdout!.status === 'rejected') throw stdout!.reason;
    if (stderr!.status === 'rejected') throw stderr!.reason;
    return read({ exitCode: metadata.data.return, stdout: stdout!.value, stderr: stderr!.value });
  } finally {
    await removed;
  }
}

/**
 * After a wait on exec `id` was stopped (Ctrl-C, or a diff whose other side failed): Incus cannot cancel
 * the exec, which goes on, and its output logs (a listing's whole output) would stay in the daemon's
 * exec-output folder, read by nobody. They are removed now, by the names Incus gives them; it lets a
 * running exec's logs go. Never fails: a leftover log is harmless.
 */
async function removeUnreadLogs(client: IncusClient, instance: string, id: string): Promise<void> {
  const logs = ['stdout', 'stderr'].map((stream) => `${instancePath(instance)}/logs/exec-output/exec_${id}.${stream}`);
  await Promise.all(logs.map((log) => client.query('DELETE', log, z.unknown()).catch(() => undefined)));
}

/** Removes a file of an instance, running or stopped; false when it was not there. */
export async function deleteInstanceFile(client: IncusClient, instance: string, path: string): Promise<boolean> {
  try {
    await client.query('DELETE', `${instancePath(instance)}/files?path=${enc(path)}`, z.unknown());
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
