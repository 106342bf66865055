import type { HeldMount, NotCaptured } from '../../shared/model';
import { humanSize } from '../../shared/size';
import type { InstanceFull, InstanceSnapshot } from '../incus/api-schemas';
import type { IncusClient, WaitOptions } from '../incus/client';
import * as api from '../incus/instances';
import { IncusInterruptedError } from '../incus/errors';
import { AppError, toErrorInfo } from '../errors';
import { runningOperationsEnded } from './after-drop';
import { archivableMounts, archivePath, EXCLUDES_KEY, HELD_MOUNTS_KEY, heldMounts, heldMountsValue, mountExcludes } from './mounts';

/**
 * Mounted host folders in and out of snapshots. Everything runs inside the container through the
 * Incus API (exec and the file API), so it works the same over the local socket, SSH and HTTPS:
 * `tar` writes each folder into the container's root filesystem, the snapshot is taken, the archive is
 * removed from the live container; a restore puts the folder back from the restored archive.
 */

export interface MountOptions {
  wait?: WaitOptions;
  /** Steps and sizes, in words ("archiving /workspace: 20000 files, 78.1 MiB"). */
  onProgress?: (message: string) => void;
}

/** What the scripts below need, all in busybox and in any distribution's base system. */
const TOOLS = ['tar', 'find', 'stat', 'awk', 'cut', 'tr', 'sort', 'xargs', 'rm', 'rmdir', 'mkdir', 'wc'];

/** `set -- …` turns the excluded names ("$@") into `-o -name A -o -name B`; `-name /` never matches. */
const PRUNE_ARGS = 'n=$#; for e in "$@"; do set -- "$@" -o -name "$e"; done; shift $n';
const PRUNED = 'find . \\( -name / "$@" \\) -prune -o';

const CHECK_TOOLS = `missing=''; for t in ${TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || missing="$missing $t"; done; echo "$missing"`;

/** `$nl` is a newline; `-path "$ODD"` matches a path with a newline in it (in a name, or a folder's name above). */
const NEWLINE = `nl=$(printf '\\nx'); nl=\${nl%x}`;
const ODD = '*$nl*';

/**
 * The manifest of a folder: one line per file (everything but folders) with mtime, size, mode, owner
 * and name — what tells an unchanged file from a changed one, as rsync's quick check does — and one
 * line per folder. Lines are compared whole, so a name is always the last field. A path holding a
 * newline cannot be a line: such paths are left out here and handled whole (see ODD_PATHS).
 */
const MANIFEST = (files: string, dirs: string) =>
  `${PRUNED} ! -path "${ODD}" ! -type d -exec stat -c '%Y %s %f %u %g %n' {} + > "${files}" && ${PRUNED} ! -path "${ODD}" -type d -print > "${dirs}"`;

/**
 * The paths holding a newline, NUL-separated (folders before what they hold): archived like any other,
 * listed apart from the manifest, and on restore removed and extracted again, whether changed or not.
 */
const ODD_PATHS = (list: string) => `${PRUNED} -path "${ODD}" -print0 > "${list}"`;

/** Lines of the second file that are not in the first. */
const NOT_IN = (first: string, second: string) => `awk 'NR==FNR { seen[$0]=1; next } !($0 in seen)' "${first}" "${second}"`;

/**
 * Args: folder, archive, excluded names… Writes the manifest beside the archive — before the archive,
 * so a file changed while archiving counts as changed — and prints "FILES BYTES" it lists.
 */
const LIST = `cd "$1" || exit 3; archive=$2; shift 2; ${PRUNE_ARGS}; ${NEWLINE}
mkdir -p "\${archive%/*}" && rm -f "$archive" || exit 4
${MANIFEST('$archive.files', '$archive.dirs')} && ${ODD_PATHS('$archive.odd')} || exit 4
{ cut -d' ' -f2 "$archive.files"; ${PRUNED} -path "${ODD}" ! -type d -exec stat -c %s {} +; } | awk '{ n++; s += $1 } END { print n + 0, s + 0 }'`;

/**
 * Args: folder, archive, excluded names… Writes the archive (numeric owners); prints its size. With no excluded entry
 * present tar reads the folder itself; else GNU tar takes find's list, and busybox tar (no -T) takes
 * it as arguments — in one call only, since a second call would overwrite the first.
 */
const ARCHIVE = `cd "$1" || exit 3; archive=$2; shift 2; ${PRUNE_ARGS}
if [ -z "$(find . \\( -name / "$@" \\) -prune -print)" ]; then
  tar -cf "$archive" --numeric-owner . || exit 5
else case "$(tar --version 2>/dev/null)" in
  *"GNU tar"*) ${PRUNED} -print0 | tar -cf "$archive" --numeric-owner --no-recursion --null -T - || exit 5 ;;
  *) ${PRUNED} -print0 | xargs -0 sh -c '[ -e "$0" ] && exit 99; exec tar -cf "$0" --numeric-owner --no-recursion "$@"' "$archive"
     case $? in 0) ;; 123) echo "too many files to archive with busybox tar and an exclude list; install GNU tar in the container" >&2; exit 6 ;; *) exit 5 ;; esac ;;
esac; fi
wc -c < "$archive"`;

/**
 * Args: folder, archive, excluded names… Makes the folder the archive's content again, touching only
 * what differs from the manifest: files new or changed since are removed, then folders that were not
 * there (deepest first; one holding an excluded folder stays), folders that are gone are made again,
 * and the files missing or changed are extracted from the archive. Excluded names are left alone.
 */
const EXTRACT = `cd "$1" || exit 3; archive=$2; shift 2; ${PRUNE_ARGS}; ${NEWLINE}
for f in "$archive" "$archive.files" "$archive.dirs"; do [ -f "$f" ] || { echo "$f is not in the restored snapshot" >&2; exit 7; }; done
${MANIFEST('$archive.now', '$archive.nowdirs')} || exit 8
${NOT_IN('$archive.files', '$archive.now')} | cut -d' ' -f6- | tr '\\n' '\\0' | xargs -0 -r rm -f || exit 8
${PRUNED} -path "${ODD}" -prune -print0 | xargs -0 -r rm -rf || exit 8
${NOT_IN('$archive.dirs', '$archive.nowdirs')} | sort -r | while IFS= read -r d; do rmdir "$d" 2>/dev/null; done
${NOT_IN('$archive.nowdirs', '$archive.dirs')} | tr '\\n' '\\0' | xargs -0 -r mkdir -p || exit 9
${NOT_IN('$archive.now', '$archive.files')} | cut -d' ' -f6- | tr '\\n' '\\0' | xargs -0 -r tar -xf "$archive" --numeric-owner || exit 9
if [ -s "$archive.odd" ]; then xargs -0 -r tar -xf "$archive" --numeric-owner < "$archive.odd" || exit 9; fi
rm -f "$archive.now" "$archive.nowdirs"`;

const RUNNING = new Set(['Running']);

/**
 * Takes a snapshot (`take`); with `includeMounts`, one holding each writable mounted host folder of
 * `instance` as an archive, recorded in the snapshot's config. Starts a stopped container for the time it needs (and stops it
 * again); the archives and the record are removed from the live container whatever happens.
 */
export async function takeSnapshot(
  client: IncusClient,
  instance: InstanceFull,
  take: () => Promise<unknown>,
  options: MountOptions & { includeMounts: boolean },
): Promise<HeldMount[]> {
  const mounts = options.includeMounts ? archivableMounts(instance.expanded_devices) : [];
  if (mounts.length === 0) {
    // A record left in the live config (an interrupted run) must not make this snapshot claim archives.
    if (instance.expanded_config[HELD_MOUNTS_KEY]) await api.patchInstanceConfig(client, instance.name, { [HELD_MOUNTS_KEY]: '' });
    await take();
    return [];
  }
  const excludes = mountExcludes(instance.expanded_config);
  const session = await MountSession.open(client, instance, options);
  const held: HeldMount[] = [];
  let failure: unknown = null;
  let taking = false; // once the snapshot is asked for
  try {
    for (const mount of mounts) held.push(await session.archive(mount, excludes));
    await api.patchInstanceConfig(client, instance.name, { [HELD_MOUNTS_KEY]: heldMountsValue(held) });
    options.onProgress?.('taking the snapshot');
    taking = true;
    await take();
    return held;
  } catch (error) {
    failure = error;
    if (taking && error instanceof IncusInterruptedError) {
      // Incus may still be copying the container, archives included: they are removed once it is done.
      session.abandoned = true;
      failure = new IncusInterruptedError(
        `${error.message}; the archives of the mounted folders were removed only once Incus had finished: 'coi-desktop snapshot list -c ${instance.name}' shows whether the snapshot was taken`,
        error.operationId,
      );
    }
    throw failure;
  } finally {
    await session.close(mounts, failure);
  }
}

/**
 * After `instance` was restored to `target`: puts back each folder in `restore` from the snapshot's
 * archives, then removes every archive and the record from the live container (a snapshot taken with
 * --include-mounts brings them back even when the folders are not restored) and keeps the current
 * exclude list. Returns the paths put back.
 */
export async function afterRestore(
  client: IncusClient,
  instance: InstanceFull,
  target: InstanceSnapshot,
  restore: readonly HeldMount[],
  options: MountOptions & { leaveRunning?: boolean } = {},
): Promise<string[]> {
  const held = heldMounts(target.config);
  const config: Record<string, string> = {};
  if (held.length > 0) config[HELD_MOUNTS_KEY] = '';
  if ((target.config[EXCLUDES_KEY] ?? '') !== (instance.expanded_config[EXCLUDES_KEY] ?? '')) config[EXCLUDES_KEY] = instance.expanded_config[EXCLUDES_KEY] ?? '';
  if (restore.length === 0) {
    await tidy(client, instance.name, held, config, null);
    return [];
  }
  const session = await MountSession.open(client, await api.getInstance(client, instance.name), options, options.leaveRunning);
  let failure: unknown = null;
  try {
    for (const mount of restore) await session.extract(mount);
    return restore.map((mount) => mount.path);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await session.close(held, failure, config);
  }
}

/**
 * The mounts of `target` a restore with --include-mounts puts back; refused before anything changes
 * when the snapshot holds none or a folder is no longer mounted where it was.
 */
export function mountsToRestore(instance: InstanceFull, target: InstanceSnapshot): HeldMount[] {
  const held = heldMounts(target.config);
  if (held.length === 0) {
    throw new AppError('invalid-input', `snapshot '${target.name}' holds no mounted folders (it was taken without --include-mounts); restore it without --include-mounts`);
  }
  for (const mount of held) {
    const device = instance.expanded_devices[mount.device];
    if (device?.type !== 'disk' || device.path !== mount.path || device.pool) {
      throw new AppError('invalid-input', `'${mount.path}' is no longer mounted from a host folder as device '${mount.device}' in container '${instance.name}'; nothing was changed`);
    }
    if (device.readonly === 'true') {
      throw new AppError('invalid-input', `'${mount.path}' is mounted read-only in container '${instance.name}', so it cannot be put back; nothing was changed`);
    }
  }
  return held;
}

/** A container copied from a snapshot that holds archives gets neither the archives nor the record. */
export async function forgetArchives(client: IncusClient, container: string, held: readonly HeldMount[]): Promise<void> {
  if (held.length > 0) await tidy(client, container, held, { [HELD_MOUNTS_KEY]: '' }, null);
}

/** Refuses, before anything changes, a container that cannot run the tools (started and stopped again for the check). */
export async function checkMountTools(client: IncusClient, instance: InstanceFull, options: MountOptions = {}): Promise<void> {
  const session = await MountSession.open(client, instance, options);
  await session.close([], null, {});
}

/** A container kept running while its mounted folders are archived or put back. */
class MountSession {
  private constructor(
    private readonly client: IncusClient,
    private readonly name: string,
    private readonly started: boolean,
    private readonly options: MountOptions,
  ) {}

  /** Whether an interruption (Ctrl-C) abandoned an exec, which may still be writing an archive. */
  abandoned = false;

  /** Starts the container when it is stopped and checks for the tools; refuses (stopped again) without them. */
  static async open(client: IncusClient, instance: InstanceFull, options: MountOptions, leaveRunning = false): Promise<MountSession> {
    if (instance.status === 'Frozen') {
      throw new AppError('container-running', `container '${instance.name}' is frozen: unfreeze it to read its mounted folders`);
    }
    const started = !RUNNING.has(instance.status);
    if (started) {
      options.onProgress?.(`starting container '${instance.name}' to reach its mounted folders${leaveRunning ? '' : ' (it is stopped again afterwards)'}`);
      await api.changeState(client, instance.name, 'start', {}, options.wait).catch(async (error: unknown) => {
        if (error instanceof IncusInterruptedError) throw await stoppedAfterInterruptedStart(client, instance.name, error, options);
        throw new AppError('operation-failed', `container '${instance.name}' could not be started to reach its mounted folders: ${toErrorInfo(error).message}; nothing was changed`);
      });
    }
    const session = new MountSession(client, instance.name, started && !leaveRunning, options);
    try {
      await session.checkTools();
    } catch (error) {
      await session.stopIfStarted().catch((stopError: unknown) => {
        throw new AppError('operation-failed', `${toErrorInfo(error).message}; and the container could not be stopped again: ${toErrorInfo(stopError).message}`);
      });
      throw error;
    }
    return session;
  }

  async archive(mount: NotCaptured, excludes: readonly string[]): Promise<HeldMount> {
    const [files, bytes] = (await this.run('list', mount.path, LIST, [mount.path, archivePath(mount.device), ...excludes])).trim().split(/\s+/).map(Number);
    this.options.onProgress?.(`archiving ${mount.path} (host folder ${mount.source}): ${files} files, ${humanSize(bytes ?? 0)}${excludes.length ? ` (leaving out ${excludes.join(', ')})` : ''}`);
    const size = Number((await this.run('archive', mount.path, ARCHIVE, [mount.path, archivePath(mount.device), ...excludes])).trim());
    return { device: mount.device, path: mount.path, source: mount.source, bytes: size, files: files ?? 0, excludes: [...excludes] };
  }

  async extract(mount: HeldMount): Promise<void> {
    this.options.onProgress?.(`restoring ${mount.path} from the snapshot: ${mount.files} files, ${humanSize(mount.bytes)}`);
    await this.run('restore', mount.path, EXTRACT, [mount.path, archivePath(mount.device), ...mount.excludes]);
  }

  /**
   * Removes the archives and resets `config` (the record) in the live container, stops it when this
   * session started it. A failure here after `failure`-free work is an error of its own: the snapshot
   * was taken, but something was left behind that the user must know about.
   */
  async close(mounts: readonly { device: string }[], failure: unknown, config: Record<string, string> = { [HELD_MOUNTS_KEY]: '' }): Promise<void> {
    // After Ctrl-C the clean-up still runs, on a client the interruption does not abandon.
    const client = this.client.detached();
    const wait: WaitOptions = { ...this.options.wait, signal: undefined };
    const problems: string[] = [];
    if (this.abandoned) {
      // A tar still running would write its archive again after the removal below.
      this.options.onProgress?.('waiting for the interrupted step to end in the container, to remove what it wrote (Ctrl-C again quits at once)');
      await runningOperationsEnded(client, this.name).catch(() => undefined);
    }
    await tidy(client, this.name, mounts, config, problems);
    await this.stopIfStarted(client, wait).catch((error: unknown) => problems.push(`container '${this.name}' could not be stopped again: ${toErrorInfo(error).message}`));
    if (problems.length === 0) return;
    if (failure === null) throw new AppError('operation-failed', `done, but not tidied up: ${problems.join('; ')}`);
    throw withLeftovers(failure, problems);
  }

  /** A container started only to reach its folders is stopped cleanly, and killed when it does not stop within 10 s. */
  private async stopIfStarted(client = this.client, wait = this.options.wait): Promise<void> {
    if (!this.started) return;
    try {
      await api.changeState(client, this.name, 'stop', { force: false, timeoutSeconds: 10 }, wait);
    } catch {
      await api.changeState(client, this.name, 'stop', { force: true }, wait);
    }
  }

  private async checkTools(): Promise<void> {
    const result = await api.execInstance(this.client, this.name, ['sh', '-c', CHECK_TOOLS], this.options.wait).catch((error: unknown) => {
      throw new AppError('tools-missing', `container '${this.name}' lacks sh (${toErrorInfo(error).message}), needed with ${TOOLS.join(', ')} to include mounted folders; nothing was changed`);
    });
    const missing = result.exitCode === 0 ? result.stdout.trim() : 'sh';
    if (missing) {
      throw new AppError('tools-missing', `container '${this.name}' lacks ${missing.split(/\s+/).join(', ')}, needed to include mounted folders (install it, e.g. busybox or tar); nothing was changed`);
    }
  }

  private async run(step: string, path: string, script: string, args: readonly string[]): Promise<string> {
    const result = await api.execInstance(this.client, this.name, ['sh', '-c', script, 'sh', ...args], this.options.wait).catch((error: unknown) => {
      if (error instanceof IncusInterruptedError) this.abandoned = true;
      throw error;
    });
    if (result.exitCode !== 0) {
      const reason = result.stderr.trim().split('\n').slice(-3).join('; ') || `exit code ${result.exitCode}`;
      throw new AppError('operation-failed', `could not ${step} ${path} in container '${this.name}': ${reason}`);
    }
    return result.stdout;
  }
}

/**
 * Ctrl-C while a stopped container was being started to reach its folders: the start may go on in
 * Incus, so it is waited for and the container stopped again, on a client the interruption does not
 * abandon. Returns the interruption saying how that went.
 */
async function stoppedAfterInterruptedStart(client: IncusClient, name: string, interruption: IncusInterruptedError, options: MountOptions): Promise<IncusInterruptedError> {
  const detached = client.detached();
  const wait: WaitOptions = { ...options.wait, signal: undefined };
  try {
    await runningOperationsEnded(detached, name);
    if (RUNNING.has((await api.getInstance(detached, name)).status)) {
      await api.changeState(detached, name, 'stop', { force: false, timeoutSeconds: 10 }, wait).catch(() => api.changeState(detached, name, 'stop', { force: true }, wait));
    }
    return new IncusInterruptedError(`${interruption.message}; container '${name}' was not started (it is stopped) and nothing was changed`, interruption.operationId);
  } catch (error) {
    return new IncusInterruptedError(
      `${interruption.message}; container '${name}' may have been started and could not be stopped again (${toErrorInfo(error).message}): check with 'incus list ${name}'; nothing else was changed`,
      interruption.operationId,
    );
  }
}

/** `failure` (the error the caller sees) with what its clean-up could not remove added to its message. */
function withLeftovers(failure: unknown, problems: readonly string[]): unknown {
  const left = `; and left behind: ${problems.join('; ')}`;
  if (failure instanceof IncusInterruptedError) return new IncusInterruptedError(`${failure.message}${left}`, failure.operationId);
  if (failure instanceof AppError) return new AppError(failure.code, `${failure.message}${left}`, failure.details);
  return failure;
}

/** The archive of a device and the manifests beside it (those of a restore too). */
const archiveFiles = (device: string) => ['', '.files', '.dirs', '.odd', '.now', '.nowdirs'].map((suffix) => `${archivePath(device)}${suffix}`);

/** Removes the archives of `mounts` and applies `config`; failures go to `problems`, or are thrown without it. */
async function tidy(client: IncusClient, container: string, mounts: readonly { device: string }[], config: Record<string, string>, problems: string[] | null): Promise<void> {
  const steps = [
    ...mounts.flatMap((mount) => archiveFiles(mount.device)).map((file) => async () => {
      await api.deleteInstanceFile(client, container, file).catch((error: unknown) => {
        throw new Error(`${file} is still in the container (${toErrorInfo(error).message}); remove it with 'incus file delete ${container}${file}'`);
      });
    }),
    async () => {
      if (Object.keys(config).length > 0) {
        await api.patchInstanceConfig(client, container, config).catch((error: unknown) => {
          throw new Error(`config ${Object.keys(config).join(', ')} could not be reset (${toErrorInfo(error).message})`);
        });
      }
    },
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      if (!problems) throw new AppError('operation-failed', `restored, but not tidied up: ${(error as Error).message}`);
      problems.push((error as Error).message);
    }
  }
}
