import { randomUUID } from 'node:crypto';
import { expiryProblem } from '../../shared/expiry';
import { parseStoredPins, parseStoredPolicy, PINNED_KEY, policySummary, RETENTION_KEY } from '../../shared/retention';
import { scheduleSummary } from '../../shared/schedule';
import { instanceNameProblem, snapshotNameProblem, someNames, timestampedName } from '../../shared/names';
import { DESCRIPTION_MAX, type ClusterMember, type Container, type ContainerRow, type DeleteOutcome, type HeldMount, type NotCaptured, type RestoreResult, type Snapshot, type SnapshotDetail } from '../../shared/model';
import type { InstanceFull, InstanceSnapshot } from '../incus/api-schemas';
import type { IncusClient, WaitOptions } from '../incus/client';
import type { ListedInstance, ListedSnapshot, StorageVolume } from '../incus/instance-list';
import { IncusError, IncusInterruptedError, IncusOperationError, isNotFound } from '../incus/errors';
import * as api from '../incus/instances';
import { AppError, toErrorInfo } from '../errors';
import type { RestoreEntry, RestoreJournal } from '../app/restore-journal';
import { isCoiContainer } from './coi-naming';
import { afterRunningOperations, outcomeUnknown, runningOperationsEnded, snapshotAfterDrop } from './after-drop';
import { afterRestore, checkMountTools, forgetArchives, mountsToRestore, takeSnapshot, type MountOptions } from './mount-archive';
import { assertExcludes, EXCLUDES_KEY, excludesValue, heldMounts, mountExcludes, notCaptured, notCapturedBySnapshot } from './mounts';
import { branchName, freeName } from './naming';
import { coiFirst, describesSnapshot, descriptionsOf, listedSnapshot, newestFirst, snapshotsOf, snapshotTally } from './listing';

export interface SnapshotServiceOptions {
  /** code-on-incus container name prefix (`COI_CONTAINER_PREFIX`, default `coi-`). */
  coiPrefix: string;
  /** The remote host's name, for the commands messages suggest (absent: the local daemon). */
  host?: string;
  now?: () => Date;
  /**
   * Called once a snapshot is created, with the container as read before and the snapshot; its
   * failure does not fail the create (see snapshots/diff/record.ts: what a later diff can skip).
   */
  afterCreate?: (instance: InstanceFull, snapshot: InstanceSnapshot, signal?: AbortSignal) => Promise<unknown>;
  /** This computer's record of the restores under way on this host (see RestoreJournal). */
  restores?: RestoreJournal;
}

export interface CreateOptions {
  name?: string;
  stateful?: boolean;
  expiresAt?: string;
  /** Archive each mounted host folder into the snapshot (see mount-archive.ts). */
  includeMounts?: boolean;
  /** Steps and sizes of the mounted folders' archiving, in words. */
  onMountProgress?: (message: string) => void;
  wait?: WaitOptions;
}

export interface RestoreOptions {
  stateful?: boolean;
  /** Take a `pre-restore-…` snapshot first so the restore can be undone (default true). */
  safetySnapshot?: boolean;
  /** Stop a running container first; without it a running container is refused. */
  stopFirst?: boolean;
  /** Start the container again afterwards when it was stopped for the restore (default true). */
  startAfter?: boolean;
  /** Told what the restore will do once every check has passed, before `confirm`. */
  onPlan?: (plan: RestorePlan) => void;
  /** Asked after every check has passed and before anything changes; false aborts. */
  confirm?: (plan: RestorePlan) => Promise<boolean>;
  /** Put the mounted folders back from the snapshot's archives (and archive them into the safety snapshot first). */
  includeMounts?: boolean;
  onMountProgress?: (message: string) => void;
  wait?: WaitOptions;
}

/** What a restore is about to do, for the confirmation. */
export interface RestorePlan {
  /** The container runs and is stopped first. */
  stops: boolean;
  /** It is started again afterwards. */
  startsAgain: boolean;
  /** The mounted folders whose content is replaced by the snapshot's (`includeMounts`). */
  mounts: HeldMount[];
  /** The mounted folders and volumes no snapshot holds that this restore leaves as they are. */
  stays: NotCaptured[];
  /** The mounted folders the snapshot holds and this restore leaves as they are (no `includeMounts`). */
  heldLeft: HeldMount[];
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

  /**
   * Every instance with its snapshots, COI containers first: one request for the instances and, beside
   * it (the daemon's slow answer is the instances'), the pools' volumes for the snapshot descriptions.
   */
  async listContainers(): Promise<Container[]> {
    const names = interner(); // equal snapshot names (snap0, snap1… on every container) held once
    const [containers, descriptions] = await Promise.all([
      api.listInstancesAs(this.client, (instance) => this.toContainer(instance, NO_DESCRIPTIONS, names)),
      this.poolDescriptions(),
    ]);
    return withDescriptions(containers, descriptions).sort(coiFirst);
  }

  /**
   * Every instance as a list row: its snapshots counted and the newest named, as containerRow makes
   * them from listContainers, straight from each instance as it is read. No snapshot is made, and the
   * pools' volumes (the descriptions, which a row does not show) are not asked: the overview keeps
   * nothing per snapshot, and what it parses dies young.
   */
  async listContainerRows(): Promise<ContainerRow[]> {
    const rows = await api.listInstancesAs(this.client, (instance): ContainerRow => ({ ...this.containerFields(instance), snapshots: snapshotTally(instance.snapshots) }));
    return rows.sort(coiFirst);
  }

  /**
   * Every instance without its snapshots (each row's `snapshots` null: not read): the daemon's fast
   * answer, for a list that shows names and states first and tallies the snapshots later.
   */
  async listContainerHeads(): Promise<ContainerRow[]> {
    const rows = await api.listInstanceHeadsAs(this.client, (instance): ContainerRow => ({ ...this.containerFields(instance), snapshots: null }));
    return rows.sort(coiFirst);
  }

  /** The snapshot descriptions kept in every storage pool (one request per pool); none where the pools are refused. */
  private async poolDescriptions(): Promise<Map<string, string>> {
    const pools = await api.listPoolNames(this.client).catch((error: unknown) => {
      if (refused(error)) return [];
      throw error;
    });
    const perPool = await Promise.all(pools.map((pool) => this.volumeDescriptions(() => api.listPoolVolumes(this.client, pool, describesSnapshot))));
    return new Map(perPool.flatMap((map) => [...map]));
  }

  async listCoiContainers(): Promise<Container[]> {
    return (await this.listContainers()).filter((container) => container.coi);
  }

  listContainerNames(): Promise<string[]> {
    return api.listInstanceNames(this.client);
  }

  async getContainer(name: string): Promise<Container> {
    const instance = await this.instance(name);
    const volumes = snapshotVolumes(instance);
    const descriptions = volumes && instance.snapshots.length > 0
      ? await this.volumeDescriptions(() => api.listVolumeSnapshots(this.client, volumes))
      : new Map<string, string>();
    return this.toContainer(instance, descriptions);
  }

  async listSnapshots(container: string): Promise<Snapshot[]> {
    return (await this.getContainer(container)).snapshots;
  }

  async create(container: string, options: CreateOptions = {}): Promise<Snapshot> {
    if (options.name !== undefined) assertSnapshotName(options.name);
    if (options.expiresAt !== undefined) this.assertExpiry(options.expiresAt);
    const instance = await this.instance(container);
    const taken = new Set(instance.snapshots.map((snapshot) => snapshot.name));
    let name = options.name ?? freeName(timestampedName('snap', this.now()), taken);
    if (taken.has(name)) {
      throw new AppError('already-exists', `snapshot '${name}' already exists for container '${container}'`);
    }
    const stateful = options.stateful ?? false;
    const take = async (): Promise<void> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return void (await api.createSnapshot(this.client, container, { name, stateful, expiresAt: options.expiresAt }, options.wait));
        } catch (error) {
          if (outcomeUnknown(error)) return void (await this.createdAfterDrop(container, name, error)); // throws unless it was created
          if (options.name !== undefined || attempt >= AUTO_NAME_TRIES || !takenMeanwhile(error)) throw error;
          // Another snapshot of the container was being taken at the same moment (another command, the
          // tray, Incus's schedule) and Incus refused this one before making anything: the next free name.
          await runningOperationsEnded(this.client, container);
          name = freeName(timestampedName('snap', this.now()), new Set([...(await this.instance(container)).snapshots.map((snapshot) => snapshot.name), name]));
        }
      }
    };
    await takeSnapshot(this.client, instance, take, { includeMounts: options.includeMounts ?? false, ...mountOptions(options) });
    const made = await api.getSnapshot(this.client, container, name).catch((error: unknown) => {
      if (!outcomeUnknown(error)) throw error;
      return this.createdAfterDrop(container, name, error);
    });
    await this.options.afterCreate?.(instance, made, options.wait?.signal).catch(() => undefined); // only a later diff is slower
    return toSnapshot(made);
  }

  /** After a drop during a create: the snapshot if it was made, else an error that says whether it was. */
  private async createdAfterDrop(container: string, name: string, error: unknown): Promise<InstanceSnapshot> {
    const found = await this.lookUpAfterDrop(container, name, error, 'created');
    if (found) return found;
    throw new AppError(toErrorInfo(error).code, `${toErrorInfo(error).message}; snapshot '${name}' was not created`, { snapshot: name });
  }

  /** After a drop during a delete: returns when the snapshot is gone, else an error that says whether it went. */
  private async deletedAfterDrop(container: string, name: string, error: unknown): Promise<void> {
    if (!(await this.lookUpAfterDrop(container, name, error, 'deleted'))) return;
    throw new AppError(toErrorInfo(error).code, `${toErrorInfo(error).message}; snapshot '${name}' was not deleted`, { snapshot: name });
  }

  /**
   * After a dropped connection, snapshot `name` as the daemon has it, looked up again once the host
   * is back (never assumed, never retried); when it cannot be known, the error names the snapshot
   * to look for.
   */
  private async lookUpAfterDrop(container: string, name: string, error: unknown, action: 'created' | 'deleted'): Promise<InstanceSnapshot | null> {
    const found = await snapshotAfterDrop(this.client, container, name);
    if (found !== undefined) return found;
    const where = `coi-desktop snapshot list -c ${container}${this.options.host ? ` --host ${this.options.host}` : ''}`;
    throw new AppError('connection-lost', `the connection dropped (${toErrorInfo(error).message}); snapshot '${name}' may have been ${action}: check with ${where}`, { snapshot: name });
  }

  /**
   * Restores a container to a snapshot; null when `confirm` declined. Everything that can be checked
   * is checked before anything changes; then the safety snapshot, the stop (`stopFirst`), the restore
   * and the start again (`startAfter`). A restore that fails after the stop starts the container
   * again, and the error says both.
   */
  async restore(container: string, snapshot: string, options: RestoreOptions = {}): Promise<RestoreResult | null> {
    assertSnapshotName(snapshot);
    const unlock = await this.options.restores?.lock(container);
    try {
      return await this.restoreAlone(container, snapshot, options);
    } finally {
      await unlock?.();
    }
  }

  /** `restore`, while no other restore of the container on this computer runs. */
  private async restoreAlone(container: string, snapshot: string, options: RestoreOptions): Promise<RestoreResult | null> {
    const instance = await this.instance(container);
    const target = instance.snapshots.find((candidate) => candidate.name === snapshot);
    if (!target) throw snapshotNotFound(container, snapshot, instance);
    const stateful = options.stateful ?? false;
    if (stateful && !target.stateful) {
      throw new AppError(
        'not-stateful',
        `snapshot '${snapshot}' of container '${container}' holds no process memory; restore it without --stateful`,
      );
    }
    if (instance.status === 'Frozen') {
      // Stopping a frozen (paused) container hangs until the stop times out and leaves it unusable.
      throw new AppError('container-frozen', `container '${container}' is frozen (paused); resume it first with 'incus start ${container}', then restore`);
    }
    const running = RUNNING_STATES.has(instance.status);
    if (running && !options.stopFirst) {
      throw new AppError(
        'container-running',
        `container '${container}' must be stopped before restore (it is ${instance.status.toLowerCase()}); add --stop to stop it first and start it again afterwards, or stop it yourself: 'coi-desktop container stop ${container}'`,
      );
    }
    const mounts = options.includeMounts ? mountsToRestore(instance, target) : [];
    const held = heldMounts(target.config);
    const putBack = options.includeMounts ? held : [];
    const stays = notCaptured(instance.expanded_devices).filter((mount) => !putBack.some((kept) => kept.device === mount.device));
    const plan: RestorePlan = { stops: running, startsAgain: running && (options.startAfter ?? true), mounts, stays, heldLeft: options.includeMounts ? [] : held };
    options.onPlan?.(plan);
    if (options.confirm && !(await options.confirm(plan))) return null;

    const safety = options.safetySnapshot !== false;
    if (mounts.length > 0 && !safety) await checkMountTools(this.client, instance, mountOptions(options));
    const safetySnapshot = safety ? await this.takeSafetySnapshot(instance, options.wait, mounts.length > 0 ? mountOptions(options) : null) : null;
    const settings = settingsOf(await api.getInstanceConfig(this.client, container));
    const mark = randomUUID();
    const journal = this.options.restores;
    const record = { container, snapshot, mark, settings, snapshotSettings: settingsOf(target.config), stopped: plan.stops, safetySnapshot };
    // Recorded before the touch and the stop (a command killed while the container stops leaves it
    // stopped for a restore that never came), and again once the mark is on the instance, just before
    // the request (so a requested entry's absent mark always means Incus restored).
    const recorded = await journal?.record({ ...record, requested: false });
    let outcomeKnown = true;
    try {
      const warning = await this.prepareCopyRestore(instance, target, plan.stops, safetySnapshot, options.wait);
      if (plan.stops) await this.stopForRestore(container, safetySnapshot, options.wait, () => (outcomeKnown = false));
      const done = { stopped: plan.stops, safetySnapshot };
      await api.patchInstanceConfig(this.client, container, { [RESTORING_KEY]: mark }).catch(async (error: unknown) => {
        throw await this.restoreFailed(container, snapshot, error, done, options.wait);
      });
      await journal?.record({ ...record, requested: true }).catch(async (error: unknown) => {
        throw await this.restoreFailed(container, snapshot, new AppError('internal', `the restore could not be recorded (${toErrorInfo(error).message})`), done, options.wait);
      });
      return await this.requestRestore({ container, snapshot, stateful, options, instance, target, plan, mounts, safetySnapshot, settings, mark, done, warning }, (known) => (outcomeKnown = known));
    } finally {
      if (recorded && journal) {
        if (outcomeKnown) await journal.forget(recorded);
        else journal.release(recorded); // Incus may still restore it: the next command on this host finishes it
      }
    }
  }

  /** The restore request of `restore` and what follows it: the settings put back, the archives, the start again. */
  private async requestRestore(
    state: {
      container: string;
      snapshot: string;
      stateful: boolean;
      options: RestoreOptions;
      instance: InstanceFull;
      target: InstanceSnapshot;
      plan: RestorePlan;
      mounts: HeldMount[];
      safetySnapshot: string | null;
      settings: Record<string, string>;
      mark: string;
      done: { stopped: boolean; safetySnapshot: string | null };
      /** What the preparation of a copy-based restore could not do (see prepareCopyRestore). */
      warning: string | undefined;
    },
    setKnown: (known: boolean) => void,
  ): Promise<RestoreResult> {
    const { container, snapshot, stateful, options, instance, target, plan, mounts, safetySnapshot, settings, mark, done, warning } = state;
    let interruption: IncusInterruptedError | undefined;
    try {
      // The request is not abandoned on Ctrl-C (Incus answers it at once with its operation): an
      // interruption then always names the operation, whose outcome is looked up, never guessed.
      await api.restoreSnapshot(this.client, container, snapshot, stateful, { ...options.wait, detached: true });
    } catch (error) {
      const lookedUp = await this.restoredAfterAll(container, mark, error);
      if (lookedUp === 'unknown') setKnown(false);
      if (lookedUp !== 'restored') throw await this.restoreFailed(container, snapshot, error, { ...done, lookedUp }, options.wait);
      if (error instanceof IncusInterruptedError) interruption = error;
    }
    // After Ctrl-C the restore was done all the same: it is finished (settings, archives, start) on a
    // client the interruption does not abandon, the mounted folders left as they are.
    const client = interruption ? this.client.detached() : this.client;
    const wait = interruption ? { ...options.wait, signal: undefined } : options.wait;
    const settingsLost = await api.patchInstanceConfig(client, container, settings).then(
      () => undefined,
      (error: unknown) => toErrorInfo(error).message,
    );
    const mountsRestored = await afterRestore(client, instance, target, interruption ? [] : mounts, { ...mountOptions({ ...options, wait }), leaveRunning: plan.startsAgain });
    const startedAgain = plan.startsAgain ? await this.startAfterRestore(container, snapshot, safetySnapshot, wait, client) : false;
    if (settingsLost !== undefined) {
      throw new AppError('incus', `container '${container}' was restored to snapshot '${snapshot}', but its schedule, retention policy and mount excludes could not be put back as they were (${settingsLost}); check them with 'coi-desktop snapshot schedule show' and 'coi-desktop retention show'`);
    }
    if (interruption) throw restoredWhileInterrupted({ container, snapshot, safetySnapshot, startedAgain, mountsLeft: mounts.length > 0 });
    return { container, snapshot, stateful, safetySnapshot, stopped: plan.stops, startedAgain, mountsRestored, ...(warning ? { warning } : {}) };
  }

  /**
   * On a pool whose restore copies files (dir), marks the running container's files changed since
   * the snapshot with their mtime kept, so the restore copies them (see restore-copy.ts); the
   * warning the result carries when that could not be done. Ctrl-C meanwhile restores nothing.
   */
  private async prepareCopyRestore(instance: InstanceFull, target: InstanceSnapshot, running: boolean, safetySnapshot: string | null, wait?: WaitOptions): Promise<string | undefined> {
    const { prepareCopyRestore } = await import('./restore-copy');
    try {
      return await prepareCopyRestore(this.client, instance, target.created_at, running, wait?.signal);
    } catch (error) {
      const kept = safetySnapshot ? ` (the safety snapshot '${safetySnapshot}' was taken)` : '';
      if (error instanceof IncusInterruptedError || wait?.signal?.aborted) throw new IncusInterruptedError(`Interrupted: nothing was restored${kept}`);
      throw error;
    }
  }

  /**
   * Whether Incus restored the container after all, when the restore request was interrupted (Ctrl-C:
   * Incus cannot cancel a restore) or its connection dropped: looked up once every operation on the
   * container has ended. The restore gives the instance the snapshot's configuration, so the `mark`
   * set just before it is gone exactly when it was done. Undefined for any other failure (Incus said
   * why: nothing to look up); 'unknown' when the host could not be asked again.
   */
  private async restoredAfterAll(container: string, mark: string, error: unknown): Promise<LookedUp | undefined> {
    if (!outcomeUnknown(error) && !(error instanceof IncusInterruptedError)) return undefined;
    const client = error instanceof IncusInterruptedError ? this.client.detached() : this.client;
    const config = await afterRunningOperations(client, container, () => api.getInstanceConfig(client, container));
    if (config === undefined) return 'unknown';
    return config[RESTORING_KEY] === mark ? 'not-restored' : 'restored';
  }

  /**
   * Finishes the restores that commands on this computer sent to this host and were killed before they
   * ended (see RestoreJournal); what was found, in words, each said once. The restore's mark still on
   * the instance: Incus did not restore it (the mark is removed). The mark gone: Incus did, and the
   * settings the restore keeps are put back, each one the instance still holds as the snapshot had it
   * (one set since by someone is left). The container is never started here: the message says how.
   * Never fails: an entry that cannot be finished now is said and tried again next time. An entry whose
   * container another process holds the restore lock of (finishing it too, or restoring) is left to it.
   */
  async finishInterruptedRestores(): Promise<string[]> {
    const journal = this.options.restores;
    if (!journal) return [];
    const { found, problems } = await journal.leftovers();
    const messages = [...problems];
    for (const { file, entry } of found) {
      const what = `an interrupted restore of container '${entry.container}' to snapshot '${entry.snapshot}'`;
      if (entry.server !== journal.place.server) {
        messages.push(`${capitalised(what)} is not finished: it was sent to ${entry.server}, and ${journal.place.host} now points to ${journal.place.server}. Check its schedule and retention policy there, then delete ${file}`);
        continue;
      }
      // One process finishes it: another one (the app, a command) may be finishing it, or restoring that container now.
      const unlock = await journal.tryLock(entry.container).catch(() => undefined);
      if (!unlock) continue;
      try {
        if (!(await journal.stillThere(file))) continue;
        const message = await this.finishRestore(entry, what);
        await journal.forget(file);
        messages.push(message);
      } catch (error) {
        messages.push(`${capitalised(what)} could not be finished (${toErrorInfo(error).message}); it is tried again on the next command on this host`);
      } finally {
        await unlock();
      }
    }
    return messages;
  }

  /** Finishes one interrupted restore (see finishInterruptedRestores); what was found, in words. */
  private async finishRestore(entry: RestoreEntry, what: string): Promise<string> {
    const client = this.client.inProject(entry.project);
    const instance = await afterRunningOperations(client, entry.container, async () => ({ status: (await api.getInstance(client, entry.container)).status, config: await api.getInstanceConfig(client, entry.container) })).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (instance === undefined) throw new AppError('host-unreachable', 'the host did not answer');
    if (instance === null) return `${capitalised(what)} was not finished: the container is gone`;
    if (!entry.requested) return this.finishUnrequested(client, entry, what, instance);
    const host = this.options.host ? ` --host ${this.options.host}` : '';
    const stopped = entry.stopped && !RUNNING_STATES.has(instance.status) ? `; the container is stopped: coi-desktop container start ${entry.container}${host}` : '';
    const kept = entry.safetySnapshot ? `. The state before it is in snapshot '${entry.safetySnapshot}'` : '';
    const current = instance.config;
    if (current[RESTORING_KEY] === entry.mark) {
      await api.patchInstanceConfig(client, entry.container, { [RESTORING_KEY]: '' });
      return `${capitalised(what)} was not done by Incus: the container and its settings are as they were${stopped}`;
    }
    // Only what the restore itself changed: a key that no longer holds the snapshot's value was set since.
    const back = Object.entries(entry.settings).filter(([key, value]) => key !== RESTORING_KEY && (current[key] ?? '') === (entry.snapshotSettings[key] ?? '') && (current[key] ?? '') !== value);
    if (back.length > 0) await api.patchInstanceConfig(client, entry.container, Object.fromEntries(back));
    const setSince = Object.entries(entry.settings).filter(([key, value]) => key !== RESTORING_KEY && (current[key] ?? '') !== (entry.snapshotSettings[key] ?? '') && (current[key] ?? '') !== value).map(([key]) => key);
    const left = setSince.length > 0 ? ` (${setSince.join(', ')} set since, left as set)` : '';
    return `${capitalised(what)} was done by Incus; its schedule and retention policy were put back${left}${stopped}${kept}`;
  }

  /**
   * A restore whose command ended before it asked Incus (killed while it stopped the container): Incus
   * restored nothing. Its mark, if set, is removed, and a container that ran before and was stopped for
   * it is started again, as Ctrl-C during the stop does (`runningAgainAfterInterruptedStop`); one that
   * was stopped already is left stopped. What was found, in words.
   */
  private async finishUnrequested(client: IncusClient, entry: RestoreEntry, what: string, instance: { status: string; config: Record<string, string> }): Promise<string> {
    if (instance.config[RESTORING_KEY] === entry.mark) await api.patchInstanceConfig(client, entry.container, { [RESTORING_KEY]: '' });
    const kept = entry.safetySnapshot ? `. The safety snapshot '${entry.safetySnapshot}' it took is kept` : '';
    const nothing = `${capitalised(what)} was not done: its command ended before it asked Incus, so nothing was restored`;
    if (!entry.stopped) return `${nothing}; the container and its settings are as they were${kept}`;
    if (RUNNING_STATES.has(instance.status)) return `${nothing}; the container still runs${kept}`;
    const host = this.options.host ? ` --host ${this.options.host}` : '';
    const started = await api.changeState(client, entry.container, 'start').then(
      () => 'it was started again',
      (error: unknown) => `starting it again failed (${toErrorInfo(error).message}): start it with 'coi-desktop container start ${entry.container}${host}'`,
    );
    return `${nothing}; the container ran before and was stopped for it: ${started}${kept}`;
  }

  async delete(container: string, snapshot: string, wait?: WaitOptions): Promise<void> {
    assertSnapshotName(snapshot);
    try {
      await api.deleteSnapshot(this.client, container, snapshot, wait);
    } catch (error) {
      if (outcomeUnknown(error)) return this.deletedAfterDrop(container, snapshot, error);
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
    const instance = await this.instance(container);
    if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) throw snapshotNotFound(container, snapshot, instance);
    const [detail, description] = await Promise.all([api.getSnapshot(this.client, container, snapshot), this.description(instance, snapshot)]);
    return toSnapshotDetail(container, detail, description);
  }

  /** A new container copied from a snapshot; returns it as read after the copy. */
  /**
   * Copies a snapshot into a new container. In a cluster the copy goes to `member`, by default the
   * source's own member (Incus would otherwise place it where its scheduler likes).
   */
  async branch(container: string, snapshot: string, target?: string, wait?: WaitOptions, member?: string): Promise<Container> {
    assertSnapshotName(snapshot);
    const instance = await this.instance(container);
    if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) throw snapshotNotFound(container, snapshot, instance);
    const names = new Set(await api.listInstanceNames(this.client));
    const name = target ?? branchName(container, snapshot, names);
    const problem = instanceNameProblem(name);
    if (problem) throw new AppError('invalid-input', problem);
    if (names.has(name)) throw new AppError('already-exists', `a container named '${name}' already exists`);
    await api.copyFromSnapshot(this.client, container, snapshot, name, wait, member ?? clusterLocation(instance.location)).catch(async (error: unknown) => {
      if (!outcomeUnknown(error)) throw error;
      await this.copiedAfterDrop(name, error); // throws unless the copy was made
    });
    await forgetArchives(this.client, name, heldMounts(instance.snapshots.find((candidate) => candidate.name === snapshot)?.config ?? {}));
    return this.getContainer(name);
  }

  /**
   * After a drop during a branch: returns when the copy `name` exists once its operation has ended (the
   * name was free before, so it is this copy), else an error that says whether it was made.
   */
  private async copiedAfterDrop(name: string, error: unknown): Promise<void> {
    const names = await afterRunningOperations(this.client, name, () => api.listInstanceNames(this.client));
    if (names?.includes(name)) return;
    const info = toErrorInfo(error);
    if (names) throw new AppError(info.code, `${info.message}; container '${name}' was not created`);
    const where = `coi-desktop container list${this.options.host ? ` --host ${this.options.host}` : ''}`;
    throw new AppError('connection-lost', `the connection dropped (${info.message}); container '${name}' may have been created: check with ${where}`);
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
    await this.carryPin(instance, snapshot, newName);
    return this.readSnapshot(instance, newName);
  }

  /** A pinned snapshot stays pinned under its new name (the retention policy must not take it). */
  private async carryPin(instance: InstanceFull, from: string, to: string): Promise<void> {
    const stored = parseStoredPins(instance.expanded_config[PINNED_KEY]);
    if ('problem' in stored || !stored.pinned.includes(from)) return;
    const pinned = stored.pinned.map((name) => (name === from ? to : name)).sort();
    await api.patchInstanceConfig(this.client, instance.name, { [PINNED_KEY]: JSON.stringify(pinned) });
  }

  /**
   * Sets when Incus deletes the snapshot (ISO time), or never (null). An expiry in the past or within
   * the next minute is refused: Incus would delete the snapshot at its next pruning.
   */
  async setExpiry(container: string, snapshot: string, expiresAt: string | null, wait?: WaitOptions): Promise<Snapshot> {
    assertSnapshotName(snapshot);
    if (expiresAt !== null) this.assertExpiry(expiresAt);
    const instance = await this.instance(container);
    if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) throw snapshotNotFound(container, snapshot, instance);
    await api.setSnapshotExpiry(this.client, container, snapshot, expiresAt, wait);
    return this.readSnapshot(instance, snapshot);
  }

  /**
   * Sets a snapshot's description (empty clears it). Incus 6.0 has no description on instance
   * snapshots, so it is kept on the snapshot of the root volume behind it (`snapshotVolumes`).
   */
  async setDescription(container: string, snapshot: string, description: string): Promise<Snapshot> {
    assertSnapshotName(snapshot);
    if (description.length > DESCRIPTION_MAX) {
      throw new AppError('invalid-input', `a description may be ${DESCRIPTION_MAX} characters long; this one is ${description.length}`);
    }
    const instance = await this.instance(container);
    if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) throw snapshotNotFound(container, snapshot, instance);
    const volumes = snapshotVolumes(instance);
    if (!volumes) throw new AppError('incus', `container '${container}' has no root disk, so its snapshots cannot hold a description`);
    await api.setVolumeSnapshotDescription(this.client, volumes, snapshot, description);
    return this.readSnapshot(instance, snapshot);
  }

  /** Sets the names left out when the container's mounted folders are archived (`user.coi-desktop.mount-excludes`). */
  async setMountExcludes(container: string, names: readonly string[]): Promise<Container> {
    const cleaned = [...new Set(names.map((name) => name.trim()))];
    assertExcludes(cleaned);
    await this.instance(container);
    await api.patchInstanceConfig(this.client, container, { [EXCLUDES_KEY]: excludesValue(cleaned) });
    return this.getContainer(container);
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

  private assertExpiry(expiresAt: string): void {
    const problem = expiryProblem(expiresAt, this.now());
    if (problem) throw new AppError('invalid-input', problem);
  }

  /**
   * Stops the container for a restore; when that fails nothing is restored, and the error says so. A
   * stop whose answer was lost (the connection dropped, or its operation was gone by the time its
   * result was read) is looked up: stopped, the restore goes on; not known, the error says so and
   * `unknown()` keeps the journal's entry, so the next command starts the container again if needed.
   */
  private async stopForRestore(container: string, safetySnapshot: string | null, wait: WaitOptions | undefined, unknown: () => void): Promise<void> {
    try {
      await api.changeState(this.client, container, 'stop', { force: false, timeoutSeconds: 30 }, wait);
    } catch (error) {
      const info = toErrorInfo(error);
      const kept = safetySnapshot ? ` (the safety snapshot '${safetySnapshot}' was taken)` : '';
      if (outcomeUnknown(error)) {
        const status = await afterRunningOperations(this.client, container, async () => (await api.getInstance(this.client, container)).status);
        if (status === 'Stopped') return;
        if (status === undefined) {
          unknown();
          const host = this.options.host ? ` --host ${this.options.host}` : '';
          throw new AppError(info.code, `restore not started: the stop of container '${container}' was sent and its outcome could not be read (${info.message}); nothing was restored${kept}. It may be stopped: check with 'coi-desktop container list${host}'; the next command on this host starts it again if so`, { stopped: null, safetySnapshot });
        }
      }
      const after = error instanceof IncusInterruptedError ? `; ${await this.runningAgainAfterInterruptedStop(container, wait)}` : '';
      throw new AppError(info.code, `restore not started: container '${container}' could not be stopped (${info.message}); nothing was restored${kept}${after}`, { stopped: false, safetySnapshot });
    }
  }

  /**
   * Ctrl-C while a restore stopped the running container: the stop may go on in Incus, so it is waited
   * for and the container started again, on a client the interruption does not abandon. Says how that went.
   */
  private async runningAgainAfterInterruptedStop(container: string, wait?: WaitOptions): Promise<string> {
    const client = this.client.detached();
    try {
      await runningOperationsEnded(client, container);
      if ((await api.getInstance(client, container)).status === 'Running') return 'it is still running';
      await api.changeState(client, container, 'start', {}, { ...wait, signal: undefined });
      return 'it was started again';
    } catch (startError) {
      return `the stop may have gone on in Incus and it could not be started again (${toErrorInfo(startError).message}): check with 'incus list ${container}' and start it with 'coi-desktop container start ${container}'`;
    }
  }

  /**
   * The error of a restore that failed: when the container was stopped for it, it is started again
   * first, and the error says how that went too. `lookedUp`: what Incus was found to have done after an
   * interruption or a dropped connection; 'unknown' (it could not be found out) starts nothing.
   */
  private async restoreFailed(
    container: string,
    snapshot: string,
    error: unknown,
    done: { stopped: boolean; safetySnapshot: string | null; lookedUp?: LookedUp },
    wait?: WaitOptions,
  ): Promise<AppError> {
    const state = { stopped: done.stopped, safetySnapshot: done.safetySnapshot };
    if (done.lookedUp === 'unknown') return this.restoreUnknown(container, snapshot, error, state);
    const interrupted = error instanceof IncusInterruptedError;
    // After Ctrl-C the container is still put back as it was, on a client the interruption does not abandon.
    const client = interrupted ? this.client.detached() : this.client;
    const settle = interrupted ? { ...wait, signal: undefined } : wait;
    await api.patchInstanceConfig(client, container, { [RESTORING_KEY]: '' }).catch(() => undefined);
    const cause = isNotFound(error) ? snapshotNotFound(container, snapshot, await readInstance(client, container)) : error;
    const info = toErrorInfo(cause);
    const what = interrupted ? 'Interrupted: nothing was restored' : `restore failed: ${info.message}`;
    const lookedUp = done.lookedUp === 'not-restored' && !interrupted ? '; Incus did not restore it (looked up once the host answered again)' : '';
    if (!done.stopped) return new AppError(info.code, `${what}${lookedUp}`, { ...state, startedAgain: false });
    const restarted = await this.startIfStopped(container, settle, client).then(
      () => undefined,
      (startError: unknown) => toErrorInfo(startError).message,
    );
    const after = restarted === undefined
      ? 'the container was started again'
      : `starting the container again failed too (${restarted}); start it with 'coi-desktop container start ${container}'`;
    return new AppError(info.code, `${what}${lookedUp}; ${after}`, { ...state, startedAgain: restarted === undefined });
  }

  /** A restore whose request was cut off and whose outcome could not be looked up: what to check, never a guess. */
  private restoreUnknown(container: string, snapshot: string, error: unknown, state: { stopped: boolean; safetySnapshot: string | null }): AppError {
    const host = this.options.host ? ` --host ${this.options.host}` : '';
    const kept = state.safetySnapshot ? ` The state before the restore is in snapshot '${state.safetySnapshot}'.` : '';
    const stopped = state.stopped ? ` It was stopped for the restore: start it with 'coi-desktop container start ${container}${host}'.` : '';
    return new AppError(
      toErrorInfo(error).code,
      `the restore of container '${container}' to snapshot '${snapshot}' may have been done: ${toErrorInfo(error).message}, and the host could not be asked again. Once it answers, 'incus config get ${container} ${RESTORING_KEY}' prints nothing if Incus restored it.${stopped}${kept}`,
      { ...state, restored: null, startedAgain: false },
    );
  }

  /** Starts the container again after a restore; a failure is an error that says the restore itself was done. */
  private async startAfterRestore(container: string, snapshot: string, safetySnapshot: string | null, wait?: WaitOptions, client = this.client): Promise<boolean> {
    try {
      await this.startIfStopped(container, wait, client);
      return true;
    } catch (error) {
      throw new AppError(
        toErrorInfo(error).code,
        `container '${container}' was restored to snapshot '${snapshot}', but starting it again failed (${toErrorInfo(error).message}); start it with 'coi-desktop container start ${container}'`,
        { restored: true, safetySnapshot, stopped: true, startedAgain: false },
      );
    }
  }

  /** Starts the container unless it already runs (a stateful restore brings it back running). */
  private async startIfStopped(container: string, wait?: WaitOptions, client = this.client): Promise<void> {
    if (RUNNING_STATES.has((await api.getInstance(client, container)).status)) return;
    await api.changeState(client, container, 'start', {}, wait);
  }

  /** One snapshot as the app shows it, its description read from the volume snapshot behind it. */
  private async readSnapshot(instance: InstanceFull, name: string): Promise<Snapshot> {
    const [snapshot, description] = await Promise.all([api.getSnapshot(this.client, instance.name, name), this.description(instance, name)]);
    return toSnapshot(snapshot, description);
  }

  private async description(instance: InstanceFull, snapshot: string): Promise<string | undefined> {
    const volumes = snapshotVolumes(instance);
    if (!volumes) return undefined;
    return (await this.volumeDescriptions(() => api.listVolumeSnapshots(this.client, volumes))).get(`${instance.name}/${snapshot}`);
  }

  /**
   * Snapshot descriptions by `instance/snapshot` (custom volumes' snapshots left out: an instance's are
   * of type container or virtual-machine). When the daemon refuses the volumes (a project without
   * access to the pool: 403, or 404), the snapshots are shown without descriptions; any other failure (a
   * lost connection, a timeout) fails the read like the listing itself, so it is never hidden.
   */
  private async volumeDescriptions(read: () => Promise<StorageVolume[]>): Promise<Map<string, string>> {
    const volumes = await read().catch((error: unknown) => {
      if (refused(error)) return [];
      throw error;
    });
    return descriptionsOf(volumes);
  }

  /** With `mounts`, the safety snapshot holds the mounted folders' current content too, so the restore can be undone whole. */
  private async takeSafetySnapshot(instance: InstanceFull, wait?: WaitOptions, mounts: MountOptions | null = null): Promise<string> {
    const taken = new Set(instance.snapshots.map((snapshot) => snapshot.name));
    const name = freeName(timestampedName('pre-restore', this.now()), taken);
    try {
      const take = () => api.createSnapshot(this.client, instance.name, { name, stateful: false }, wait);
      await takeSnapshot(this.client, instance, take, { includeMounts: mounts !== null, ...mounts });
    } catch (error) {
      throw new AppError(
        'safety-snapshot-failed',
        `restore not started: the safety snapshot '${name}' could not be taken (${toErrorInfo(error).message}); nothing was changed. To restore without a safety snapshot, turn it off (--no-safety-snapshot).`,
      );
    }
    return name;
  }

  private instance(name: string): Promise<InstanceFull> {
    return readInstance(this.client, name);
  }

  private toContainer(instance: ListedInstance, descriptions: ReadonlyMap<string, string>, names?: (name: string) => string): Container {
    const { name, status, type, createdAt, coi, statefulCapable, ...rest } = this.containerFields(instance);
    const snapshots = snapshotsOf(instance, descriptions, (snapshot, description) => toSnapshot(snapshot, description, names));
    return { name, status, type, createdAt, coi, statefulCapable, snapshots, ...rest };
  }

  /** What a container's row shows besides its snapshots. */
  private containerFields(instance: ListedInstance): Omit<Container, 'snapshots'> {
    return {
      name: instance.name,
      status: instance.status,
      type: instance.type,
      createdAt: instance.created_at,
      coi: isCoiContainer(instance.name, this.options.coiPrefix),
      statefulCapable: instance.expanded_config['migration.stateful'] === 'true',
      notCaptured: notCaptured(instance.expanded_devices),
      mountExcludes: mountExcludes(instance.expanded_config),
      ...automation(instance.expanded_config),
      ...(clusterLocation(instance.location) ? { location: instance.location! } : {}),
    };
  }

  /** The members of this host's cluster. */
  async clusterMembers(): Promise<ClusterMember[]> {
    const members = await api.listClusterMembers(this.client);
    return members.map((member) => ({ name: member.server_name, url: member.url, roles: member.roles, status: member.status, message: member.message }));
  }
}

/** The cluster member an instance is on; undefined outside a cluster (Incus says "none"). */
export function clusterLocation(location: string | null | undefined): string | undefined {
  return location && location !== 'none' ? location : undefined;
}

/**
 * Marks the containers whose member is not online: they cannot be reached until it is back
 * (Incus lists them with the state it last knew, or as Error).
 */
export function markUnreachable<C extends Pick<Container, 'location' | 'unreachable'>>(containers: C[], members: readonly ClusterMember[]): (C & { unreachable?: string })[] {
  const down = new Map(members.filter((member) => member.status !== 'Online').map((member) => [member.name, member]));
  return containers.map((container) => {
    const member = container.location ? down.get(container.location) : undefined;
    if (!member) return container;
    const state = member.status === 'Evacuated' ? 'evacuated' : member.status.toLowerCase();
    return { ...container, unreachable: `its cluster member ${member.name} is ${state}${member.message ? ` (${member.message})` : ''}` };
  });
}

/**
 * Set on the instance just before a restore request, to a value of that restore's own: the restore
 * replaces the instance's configuration with the snapshot's, so the key is gone exactly when Incus
 * did the restore. Read when the request was cut off; removed after every restore.
 */
const RESTORING_KEY = 'user.coi-desktop.restoring';

/** What a restore whose request was cut off was found to have done. */
type LookedUp = 'restored' | 'not-restored' | 'unknown';

/**
 * Ctrl-C came while Incus restored the container: a restore cannot be cancelled, so it was done and
 * finished (settings put back, the container started again); the interruption still ends the command.
 */
function restoredWhileInterrupted(done: { container: string; snapshot: string; safetySnapshot: string | null; startedAgain: boolean; mountsLeft: boolean }): IncusInterruptedError {
  const started = done.startedAgain ? '; it was started again' : '';
  const mounts = done.mountsLeft ? '; the mounted folders were left as they are' : '';
  const kept = done.safetySnapshot ? `. The state before the restore is in snapshot '${done.safetySnapshot}'` : '';
  return new IncusInterruptedError(`Interrupted, but Incus had already restored container '${done.container}' to snapshot '${done.snapshot}' (a restore cannot be cancelled)${started}${mounts}${kept}`);
}

/**
 * The settings the app keeps on the instance. A restore gives the instance the configuration the
 * snapshot was taken with, which would turn off a schedule or a retention policy set since (or bring
 * back one removed since); they are put back as they were before the restore.
 */
const SETTINGS_KEYS = [RESTORING_KEY, 'snapshots.schedule', 'snapshots.schedule.stopped', 'snapshots.expiry', 'snapshots.pattern', RETENTION_KEY, PINNED_KEY, EXCLUDES_KEY];

/** Each setting's value before a restore ('' removes one that was not set). */
function settingsOf(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(SETTINGS_KEYS.map((key) => [key, config[key] ?? '']));
}

/** The schedule and retention policy in words, for a container's row (absent when it has none). */
function automation(config: Record<string, string>): { schedule?: string; retention?: string } {
  const cron = config['snapshots.schedule']?.trim();
  const stored = parseStoredPolicy(config[RETENTION_KEY]);
  const retention = 'problem' in stored ? 'invalid: see retention show' : stored.policy ? policySummary(stored.policy) : undefined;
  return { ...(cron ? { schedule: scheduleSummary(cron) } : {}), ...(retention ? { retention } : {}) };
}

/** One instance with its snapshots; a bad name is refused before any request, a missing one is `not-found`. */
export async function readInstance(client: IncusClient, name: string): Promise<InstanceFull> {
  const problem = instanceNameProblem(name);
  if (problem) throw new AppError('invalid-input', problem);
  try {
    return await api.getInstance(client, name);
  } catch (error) {
    if (isNotFound(error)) throw new AppError('not-found', `container '${name}' not found`);
    throw error;
  }
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The daemon refused to show a resource to this project or user (403), or has none there (404). */
const refused = (error: unknown) => error instanceof IncusError && (error.status === 403 || error.status === 404);

function assertSnapshotName(name: string): void {
  const problem = snapshotNameProblem(name);
  if (problem) throw new AppError('invalid-input', problem);
}

/** How many auto names a create tries when other snapshots of the container are taken at the same moment. */
const AUTO_NAME_TRIES = 4;

/**
 * Incus refused a snapshot because another one of the container was being made at the same moment: its
 * name taken, the instance busy with that create, or (Incus 6.0.4, two creates racing) its record counts
 * out of step. Nothing was made.
 */
function takenMeanwhile(error: unknown): boolean {
  if (!(error instanceof IncusError || (error instanceof IncusOperationError && error.outcome === 'failed'))) return false;
  return /already exists|busy running a "create" operation|record count doesn't match/i.test(error.message);
}

/** Names a few of the snapshots the container has, newest first, and their count: never hundreds. */
export function snapshotNotFound(container: string, snapshot: string, instance: InstanceFull): AppError {
  const names = instance.snapshots.map((candidate) => toSnapshot(candidate)).sort(newestFirst).map((candidate) => candidate.name);
  const has = names.length === 0 ? 'it has no snapshots' : `it has ${names.length} snapshot${names.length === 1 ? '' : 's'}: ${someNames(names)}`;
  return new AppError('not-found', `snapshot '${snapshot}' not found for container '${container}' (${has})`);
}

/** The root volume whose snapshots back the instance's snapshots, or null when it has no root disk. */
function snapshotVolumes(instance: ListedInstance): api.SnapshotVolumes | null {
  const root = Object.values(instance.expanded_devices).find((device) => device.type === 'disk' && device.path === '/' && device.pool);
  if (!root?.pool) return null;
  return { pool: root.pool, type: instance.type === 'virtual-machine' ? 'virtual-machine' : 'container', instance: instance.name };
}


const mountOptions = (options: { wait?: WaitOptions; onMountProgress?: (message: string) => void }): MountOptions => ({
  wait: options.wait,
  onProgress: options.onMountProgress,
});

/**
 * `description`: the volume snapshot's, where it was read (Incus 6.0 instance snapshots have none).
 * `mounts`: the archives of mounted folders it holds, recorded in its config (mounts.ts).
 */
function toSnapshot(snapshot: ListedSnapshot, description?: string, names: (name: string) => string = (name) => name): Snapshot {
  const listed = listedSnapshot(snapshot, description);
  listed.name = names(listed.name);
  const mounts = heldMounts(snapshot.config);
  if (mounts.length > 0) listed.mounts = mounts;
  return listed;
}

const NO_DESCRIPTIONS: ReadonlyMap<string, string> = new Map();

/** Gives back, for each string, the first equal one it was given: equal names held once. */
function interner(): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    seen.set(value, value);
    return value;
  };
}

/**
 * Puts the volume snapshots' descriptions (read beside the instances) on the containers' snapshots, as
 * listedSnapshot would have: one whose description differs is replaced by a copy.
 */
function withDescriptions(containers: Container[], descriptions: ReadonlyMap<string, string>): Container[] {
  if (descriptions.size === 0) return containers;
  for (const container of containers) {
    const described = (snapshot: Snapshot) => descriptions.get(`${container.name}/${snapshot.name}`) || snapshot.description;
    if (container.snapshots.every((snapshot) => described(snapshot) === snapshot.description)) continue;
    container.snapshots = container.snapshots.map((snapshot) => (described(snapshot) === snapshot.description ? snapshot : { ...snapshot, description: described(snapshot) }));
  }
  return containers;
}

function toSnapshotDetail(container: string, snapshot: InstanceSnapshot, description?: string): SnapshotDetail {
  return {
    ...toSnapshot(snapshot, description),
    container,
    architecture: snapshot.architecture,
    ephemeral: snapshot.ephemeral,
    lastUsedAt: snapshot.last_used_at,
    profiles: snapshot.profiles,
    config: snapshot.config,
    devices: snapshot.devices,
    notCaptured: notCapturedBySnapshot(snapshot.expanded_devices, heldMounts(snapshot.config)),
  };
}
