import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { HostConfig, HostStatus, IncusHostConfig } from '../../shared/hosts';
import type { Container, HostOverview, HostTestResult } from '../../shared/model';
import type { ErrorInfo } from '../../shared/errors';
import { AppError, toErrorInfo } from '../errors';
import type { IncusClient } from '../incus/client';
import type { InstanceFull, InstanceSnapshot } from '../incus/api-schemas';
import { snapshotsEnded } from '../snapshots/after-drop';
import type { RestoreJournal } from '../app/restore-journal';
import { markUnreachable, readInstance, SnapshotService, type SnapshotServiceOptions } from '../snapshots/service';
import { openHostClient, type HostClient, type HostClientDeps } from './host-client';
import type { HostList } from './registry';

export interface HostPoolOptions extends Omit<HostClientDeps, 'checkHostKey' | 'checkServerCert'> {
  registry: HostList;
  coiPrefix: string;
  checkHostKeyFor: (host: string) => HostClientDeps['checkHostKey'];
  checkServerCertFor: (config: IncusHostConfig) => HostClientDeps['checkServerCert'];
  /** How many hosts are contacted at once. */
  concurrency?: number;
  /** How long one host may take in the overview before it is reported offline. */
  hostTimeoutMs?: number;
  /**
   * Whether a snapshot's record (snapshots/diff/record.ts) is made after its create returns: in a face
   * that stays (the app, web mode), so the user does not wait for it; a one-shot command waits.
   */
  recordAfterReturn?: boolean;
  /** This computer's record of the restores under way on a host (see RestoreJournal). */
  restores?: (host: string) => RestoreJournal;
  /** Says what a read of a host found to finish (an interrupted restore), once. */
  onNotice?: (host: string, message: string) => void;
}

interface Handle extends HostClient {
  config: HostConfig;
  /** Whether the daemon said it is a cluster member (`server_clustered`) when last tested. */
  clustered?: boolean;
  service: SnapshotService;
  status: HostStatus;
  /** Why the host is not online, as the overview reports it without asking again. */
  lastError?: ErrorInfo;
  /** The test under way, which another caller joins instead of sending its own. */
  testing?: Promise<HostTestResult>;
  /** The overview's fast read of this host under way (see `eachHost`), resolved with what it found. */
  fastRead?: Promise<HostContainers<unknown>>;
}

/** What the pool needs of a listed container: where it lives, to mark it when its cluster member is down. */
type Listed = Pick<Container, 'location' | 'unreachable'>;

/** One host's answer: its status and, when it answered, its containers (HostOverview's shape, whatever a container is). */
export type HostContainers<C> = Omit<HostOverview, 'containers'> & { containers: C[] };

const ServerSchema = z.object({
  /** `trusted`, or `untrusted` for an HTTPS client whose certificate the server does not trust. */
  auth: z.string().optional(),
  environment: z.object({ server_version: z.string(), server_clustered: z.boolean(), server_name: z.string() }).partial().optional(),
});

/**
 * Every configured host, connected lazily and in parallel up to a bound; one slow or dead host
 * never delays the others. Emits `status` whenever a host's status changes.
 */
export class HostPool extends EventEmitter<{ status: [host: string, status: HostStatus] }> {
  private readonly handles = new Map<string, Handle>();
  /** The snapshots recorded (or being recorded) by this process: host, container, name, creation time. */
  private readonly recorded = new Set<string>();

  constructor(private readonly options: HostPoolOptions) {
    super();
  }

  hosts(): HostConfig[] {
    return this.options.registry.list();
  }

  service(host: string): SnapshotService {
    return this.handle(host).service;
  }

  /** The raw Incus client of a host, for what the snapshot service does not cover (operations). */
  client(host: string): IncusClient {
    return this.handle(host).client;
  }

  /** A host's configuration: a saved one, or one being added. */
  configOf(host: string): HostConfig {
    return this.options.registry.get(host);
  }

  status(host: string): HostStatus {
    return this.handles.get(host)?.status ?? { state: 'idle' };
  }

  /**
   * Connects (if needed) and asks the daemon who it is; the status says how that went. Tests that
   * overlap (the overview's two phases on a host not contacted yet) share one request.
   */
  async test(host: string): Promise<HostTestResult> {
    const handle = this.handle(host);
    handle.testing ??= this.runTest(handle).finally(() => (handle.testing = undefined));
    return handle.testing;
  }

  private async runTest(handle: Handle): Promise<HostTestResult> {
    const host = handle.config.name;
    this.setStatus(handle, { state: 'connecting' });
    const started = performance.now();
    try {
      const server = await handle.client.query('GET', '/1.0', ServerSchema);
      if (server.auth !== undefined && server.auth !== 'trusted') throw untrusted(handle.config);
      handle.clustered = server.environment?.server_clustered === true;
      this.setStatus(handle, { state: 'online', latencyMs: Math.round(performance.now() - started) });
      return { host, status: handle.status, incusVersion: server.environment?.server_version ?? null };
    } catch (error) {
      return { host, status: this.failed(handle, error), incusVersion: null, error: handle.lastError };
    }
  }

  /** Every host's containers and snapshots; `onHost` hears each host as soon as it has answered. */
  overview(onHost?: (result: HostOverview) => void): Promise<HostOverview[]> {
    return this.eachHost((service) => service.listContainers(), onHost);
  }

  /**
   * Every host's containers as `read` gives them, in the registry's order; `onHost` hears each host as
   * soon as it has answered. The overview has two phases, asked at once: `fast` (rows without snapshots,
   * the daemon's fast answer) and `slow` (with them). A host's slow read waits for its fast read under
   * way, so the daemon's slow answer (and the pools' volumes read beside it) does not compete with the
   * fast one for the daemon and this process; a host whose fast read failed is not asked again.
   */
  async eachHost<C extends Listed>(read: (service: SnapshotService) => Promise<C[]>, onHost?: (result: HostContainers<C>) => void, phase?: 'fast' | 'slow'): Promise<HostContainers<C>[]> {
    const results: HostContainers<C>[] = [];
    const hosts = this.hosts();
    // Marked before the first await: a slow read asked right after this one finds it.
    const fastDone = new Map(phase === 'fast' ? hosts.map((config) => [config.name, this.markFastRead(config.name)]) : []);
    await bounded(hosts, this.options.concurrency ?? 4, async (config) => {
      const result = await (phase === 'slow' ? this.afterFastRead(config.name, read) : this.withTimeout(config.name, this.hostContainers(config.name, read)));
      fastDone.get(config.name)?.(result);
      results.push(result);
      onHost?.(result);
    });
    const order = this.hosts().map((config) => config.name);
    return results.sort((a, b) => order.indexOf(a.host) - order.indexOf(b.host));
  }

  /** Notes a host's fast read as under way; the function returned ends it with what it found. */
  private markFastRead(host: string): (result: HostContainers<unknown>) => void {
    const handle = this.handle(host);
    let done!: (result: HostContainers<unknown>) => void;
    const read = new Promise<HostContainers<unknown>>((resolve) => (done = resolve));
    handle.fastRead = read;
    return (result) => {
      if (handle.fastRead === read) handle.fastRead = undefined;
      done(result);
    };
  }

  /** A host's slow read, once its fast read under way (if any) has answered; its failure, without asking again. */
  private async afterFastRead<C extends Listed>(host: string, read: (service: SnapshotService) => Promise<C[]>): Promise<HostContainers<C>> {
    const fast = await this.handle(host).fastRead;
    if (fast?.error) return { host, status: fast.status, containers: [], error: fast.error, ...(fast.members ? { members: fast.members } : {}) };
    return this.withTimeout(host, this.hostContainers(host, read));
  }

  /** Closes a host's connection so its next use opens a new one (a changed group, a trusted key). */
  forget(host: string): void {
    const handle = this.handles.get(host);
    if (!handle) return;
    this.handles.delete(host);
    void handle.client.close().catch(() => undefined);
    handle.connection?.close();
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    for (const handle of handles) handle.connection?.close();
    await Promise.all(handles.map((handle) => handle.client.close().catch(() => undefined)));
  }

  /**
   * One host's containers. Status is an output: a host is read as it is, never tested again from
   * here. Only a host never contacted yet is tested, and an offline host that has no connection of its
   * own to reconnect (the local socket, an HTTPS server), for which the read is the retry. A host
   * waiting for the user (a changed key…) is reported with its last error, without a request.
   */
  private async hostContainers<C extends Listed>(host: string, read: (service: SnapshotService) => Promise<C[]>): Promise<HostContainers<C>> {
    const handle = this.handle(host);
    const state = handle.status.state;
    if (state === 'idle' || (state === 'offline' && !handle.connection)) {
      const tested = await this.test(host);
      if (tested.error) return { host, status: tested.status, containers: [], error: tested.error };
    } else if (state !== 'online' && state !== 'connecting') {
      return { host, status: handle.status, containers: [], error: handle.lastError ?? { code: 'host-unreachable', message: `${host} is ${state}`, host } };
    }
    try {
      // A first test still running says whether the host is a cluster: without it, a cluster's read
      // would come back without its members (and the pages would drop them until the next read).
      if (handle.clustered === undefined && handle.testing) await handle.testing;
      for (const message of await handle.service.finishInterruptedRestores()) this.options.onNotice?.(host, message);
      if (!handle.clustered) return { host, status: handle.status, containers: await read(handle.service) };
      const [containers, members] = await Promise.all([read(handle.service), handle.service.clusterMembers()]);
      return { host, status: handle.status, containers: markUnreachable(containers, members), members };
    } catch (error) {
      // The daemon answered that what was asked is not there (a project it does not have): the host is
      // as reachable as it was, only this read failed; its status stays (it would swing on each read).
      const info = toErrorInfo(error);
      if (info.code === 'not-found') return { host, status: handle.status, containers: [], error: { ...info, host } };
      return { host, status: this.failed(handle, error), containers: [], error: handle.lastError };
    }
  }

  /** Records why a request failed; an offline host's status names the connection's next retry. */
  private failed(handle: Handle, error: unknown): HostStatus {
    const status = statusOf(error);
    const nextRetryAt = handle.connection?.nextRetryAt;
    handle.lastError = { ...toErrorInfo(error), host: handle.config.name };
    this.setStatus(handle, status.state === 'offline' && nextRetryAt ? { ...status, nextRetryAt: nextRetryAt.toISOString() } : status);
    return handle.status;
  }

  private withTimeout<C>(host: string, work: Promise<HostContainers<C>>): Promise<HostContainers<C>> {
    const limit = this.options.hostTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<HostContainers<C>>((resolve) => {
      timer = setTimeout(() => {
        const reason = `${host} did not answer within ${limit / 1000} s`;
        const handle = this.handles.get(host);
        const nextRetryAt = handle?.connection?.nextRetryAt?.toISOString() ?? null;
        const status: HostStatus = { state: 'offline', reason, nextRetryAt };
        const error = { code: 'host-unreachable' as const, message: reason, host };
        if (handle) {
          handle.lastError = error;
          this.setStatus(handle, status);
        }
        resolve({ host, status, containers: [], error });
      }, limit);
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /**
   * Records each snapshot this app takes, for a later diff against it (snapshots/diff/record.ts);
   * `COI_DESKTOP_SNAPSHOT_RECORD=off` leaves that out (a diff then packs the snapshot).
   */
  private recorder(config: HostConfig, client: IncusClient): SnapshotServiceOptions['afterCreate'] {
    if (this.recordsOff) return undefined;
    if (!this.options.recordAfterReturn) return (instance, snapshot, signal) => this.record(config, client, instance, snapshot, signal);
    return async (instance, snapshot) => void this.record(config, client, instance, snapshot).catch(() => undefined); // only a later diff is slower
  }

  private get recordsOff(): boolean {
    return this.options.env.COI_DESKTOP_SNAPSHOT_RECORD === 'off';
  }

  /** Records a snapshot once per process (the app's own create and the event it causes name the same one); says why not, or undefined. */
  private async record(config: HostConfig, client: IncusClient, instance: InstanceFull, snapshot: InstanceSnapshot, signal?: AbortSignal): Promise<string | undefined> {
    const key = [config.name, instance.name, snapshot.name, snapshot.created_at].join('\u0000');
    if (this.recorded.has(key)) return 'recorded already';
    this.recorded.add(key);
    const deps = { client, host: config.name, project: config.project ?? 'default', configDir: this.options.configDir };
    return (await import('../snapshots/diff/diff')).recordTakenSnapshot(deps, instance, snapshot, signal);
  }

  /**
   * Records snapshot `snapshot` of `container` that this process did not take (Incus's schedule, a
   * terminal), heard of by the app while the container may still be as it was (see record.ts: the
   * record holds only what provably did not change since the snapshot began). Says why not, or undefined.
   */
  async recordSeen(host: string, container: string, snapshot: string): Promise<string | undefined> {
    if (this.recordsOff) return 'records are off';
    const client = this.client(host);
    // Incus announces a snapshot before it copies anything (freezing the container meanwhile on some drivers)
    await snapshotsEnded(client, container);
    const instance = await readInstance(client, container);
    const made = instance.snapshots.find((candidate) => candidate.name === snapshot);
    if (!made) return 'the snapshot is gone';
    return this.record(this.configOf(host), client, instance, made);
  }

  private handle(host: string): Handle {
    const existing = this.handles.get(host);
    if (existing) return existing;
    const config = this.options.registry.get(host);
    const checkServerCert = config.kind === 'incus' ? this.options.checkServerCertFor(config) : refuseCert;
    const refusal = () => (waitsForUser(handle.status) ? refusalOf(handle) : undefined);
    const opened = openHostClient(config, { ...this.options, checkHostKey: this.options.checkHostKeyFor(host), checkServerCert, refusal });
    const service = new SnapshotService(opened.client, {
      coiPrefix: this.options.coiPrefix,
      ...(config.kind !== 'local' ? { host: config.name } : {}),
      afterCreate: this.recorder(config, opened.client),
      restores: this.options.restores?.(host),
    });
    const handle: Handle = { ...opened, config, service, status: { state: 'idle' } };
    opened.connection?.on('lost', (reason, nextRetryAt) => {
      handle.lastError = { code: 'host-unreachable', message: reason, host };
      this.setStatus(handle, { state: 'offline', reason, nextRetryAt: nextRetryAt.toISOString() });
    });
    // A dial a test did not make (its own reconnection, an event stream's) tells the status why it was refused.
    opened.connection?.on('refused', (error) => {
      if (!handle.testing) this.failed(handle, error);
    });
    opened.connection?.on('connected', () => {
      if (handle.status.state === 'offline') void this.test(host);
    });
    this.handles.set(host, handle);
    return handle;
  }

  /** Sets a host's status, and tells it when it differs from the one before. */
  private setStatus(handle: Handle, status: HostStatus): void {
    const same = JSON.stringify(status) === JSON.stringify(handle.status);
    handle.status = status;
    if (!same) this.emit('status', handle.config.name, status);
  }
}

/**
 * Whether a host waits for the user (a key to trust or forget, keys, rights or sshd's forwarding to
 * fix): nothing but the user's own action (a test, trusting or forgetting a key, editing the host)
 * asks it again. Not "Incus missing": a daemon being restarted there comes back on its own, and
 * asking again costs a channel of the open SSH session, not a dial.
 */
export function waitsForUser(status: HostStatus): boolean {
  return !['idle', 'connecting', 'online', 'offline', 'incus-missing'].includes(status.state);
}

/** The error a request to a host waiting for the user fails with: the one its last attempt met. */
function refusalOf(handle: Handle): AppError {
  const last = handle.lastError;
  if (!last) return new AppError('host-unreachable', `${handle.config.name} is ${handle.status.state}: test its connection once the cause is fixed`);
  return new AppError(last.code, last.message, last.details);
}

/** The error of a server that answers but does not trust this app's client certificate. */
function untrusted(config: HostConfig): AppError {
  const where = config.kind === 'incus' ? config.url : config.name;
  return new AppError(
    'auth-failed',
    `${where} does not trust COI Desktop's client certificate. On the server, make a trust token (incus config trust add ${config.name}) and join with it: coi-desktop host add ${config.name} --url ${where} --token TOKEN (remove the host first)`,
  );
}

/** No host but an HTTPS one has a server certificate to check. */
const refuseCert = () => Promise.reject(new Error('not an HTTPS host'));

/** The status a failed request leaves a host in. */
export function statusOf(error: unknown): HostStatus {
  const info = toErrorInfo(error);
  const details = error instanceof AppError ? error.details ?? {} : {};
  const text = (key: string) => (typeof details[key] === 'string' ? details[key] : '');
  switch (info.code) {
    case 'host-key-unknown':
      return { state: 'host-key-unknown', fingerprint: text('fingerprint'), keyType: text('keyType') };
    case 'host-key-changed':
      return { state: 'host-key-changed', fingerprint: text('fingerprint'), keyType: text('keyType'), reason: info.message };
    case 'auth-failed':
      return { state: 'auth-failed', reason: info.message };
    case 'permission-denied':
    case 'incus-missing':
    case 'forwarding-disabled':
      return { state: info.code, reason: info.message, fix: text('fix') };
    default:
      return { state: 'offline', reason: info.message, nextRetryAt: null };
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function bounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}
