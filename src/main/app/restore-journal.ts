import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LOCAL_HOST } from '../../shared/hosts';
import { removeStaleTemporaries, writeFileAtomic } from '../config/atomic-file';
import { tryFileLock } from '../config/file-lock';
import { AppError } from '../errors';
export { RESTORES_DIR } from '../config/paths';
import { abandoned, readJournal, type Place } from './temporaries';

/** A restore lock not refreshed for this long belongs to a process that was killed (its holder refreshes it every 2.5 s). */
const LOCK_STALE_MS = 5_000;

const RestoreEntrySchema = z.object({
  host: z.string(),
  project: z.string(),
  server: z.string(),
  container: z.string().min(1),
  snapshot: z.string().min(1),
  /** The value of `user.coi-desktop.restoring` set on the instance just before the restore request. */
  mark: z.string().min(1),
  /** The settings the restore keeps, as they were before it ('' for one not set): what is put back. */
  settings: z.record(z.string(), z.string()),
  /** The same keys in the snapshot's configuration: what the instance holds after Incus restored it. */
  snapshotSettings: z.record(z.string(), z.string()),
  /** The container ran and was stopped for the restore. */
  stopped: z.boolean(),
  /**
   * The mark is on the instance and the restore request may have been sent. False while the restore is
   * prepared (the safety snapshot taken, the container being stopped): then Incus restored nothing.
   * Entries of versions that recorded only requested restores lack it.
   */
  requested: z.boolean().default(true),
  safetySnapshot: z.string().nullable(),
  pid: z.number().int(),
  machine: z.string(),
  startedAt: z.string(),
});
export type RestoreEntry = z.infer<typeof RestoreEntrySchema>;
/** What a restore records: the entry without where and by whom, which the journal adds. */
export type RestoreRecord = Omit<RestoreEntry, keyof Place | 'pid' | 'machine' | 'startedAt'>;

/**
 * The restores commands on this computer have sent to one host and not finished. Incus gives the
 * instance the snapshot's configuration, and the restore then puts back the settings it keeps
 * (schedule, retention policy, pins, mount excludes); nothing on the server holds them meanwhile. A
 * restore is recorded before its request and forgotten when its command ends, so a process killed
 * in between (`kill -9`, the app quit) leaves an entry the next command on that host finishes
 * (`SnapshotService.finishInterruptedRestores`). One file per restore, written atomically, like the
 * temporaries journal (temporaries.ts). A restore is first recorded before anything changes (before
 * the stop: `requested` false), then again once its mark is on the instance, just before the request.
 */
export class RestoreJournal {
  private readonly held = new Set<string>();

  constructor(
    private readonly dir: string,
    readonly place: Place,
    private readonly self = { pid: process.pid, machine: hostname() },
  ) {}

  /**
   * Holds this computer's lock on restoring `container` on this server and project, for the restore's
   * whole command (see tryFileLock): two restores of one container at once stop it, restore and start
   * it over each other, and both may fail or leave it stopped. Taken before anything is read; a
   * `busy` error when another process holds it: nothing was changed.
   */
  async lock(container: string): Promise<() => Promise<void>> {
    const release = await this.tryLock(container);
    if (release) return release;
    throw new AppError(
      'busy',
      `another restore of container '${container}' is under way (a coi-desktop command or the COI Desktop app on this computer); this one changed nothing. Wait until it has ended, then check the container with 'coi-desktop snapshot list -c ${container}'${this.place.host === LOCAL_HOST.name ? '' : ` --host ${this.place.host}`} before restoring again`,
    );
  }

  /**
   * The lock of `lock`, or undefined when another process holds it. It waits a little longer than a
   * killed holder's lock takes to go stale, so a command right after a `kill -9` of a restore gets it.
   */
  tryLock(container: string): Promise<(() => Promise<void>) | undefined> {
    const key = createHash('sha256').update(`${this.place.server}\n${this.place.project}\n${container}`).digest('hex').slice(0, 32);
    return tryFileLock(join(this.dir, key), { staleMs: LOCK_STALE_MS, waitMs: LOCK_STALE_MS + 1_500 });
  }

  /** Whether the entry `file` is still there (no other process has finished it meanwhile). */
  async stillThere(file: string): Promise<boolean> {
    return access(file).then(() => true, () => false);
  }

  /** Records a restore (again, once it is `requested`); the file that stands for it. */
  async record(restore: RestoreRecord): Promise<string> {
    const file = join(this.dir, `${restore.container}-${restore.mark}.json`);
    const entry: RestoreEntry = { ...this.place, ...restore, pid: this.self.pid, machine: this.self.machine, startedAt: new Date().toISOString() };
    this.held.add(file);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, JSON.stringify(entry) + '\n');
    return file;
  }

  /** The restore's command has ended without knowing its outcome: finished by the next command, even in this process. */
  release(file: string): void {
    this.held.delete(file);
  }

  /** The restore is finished: nothing left to do. */
  async forget(file: string): Promise<void> {
    await rm(file, { force: true });
    this.held.delete(file);
  }

  /**
   * The restores on this host whose command has ended without finishing them (see `abandoned`). An
   * entry that cannot be read is set aside (renamed `….unreadable`) and said once in `problems`.
   */
  async leftovers(): Promise<{ found: { file: string; entry: RestoreEntry }[]; problems: string[] }> {
    await removeStaleTemporaries(this.dir).catch(() => undefined);
    const { entries, unreadable } = await readJournal(this.dir, RestoreEntrySchema, 'not an entry of this version');
    const found = entries.filter(({ file, entry }) => abandoned(entry, this.place.host, this.self, this.held.has(file)));
    const problems = unreadable.map(({ file, reason, aside }) =>
      `The record ${file} of an unfinished restore could not be used (${reason})${aside ? `; it was set aside as ${aside}` : ''}. Check that container's schedule and retention policy with 'coi-desktop snapshot schedule show' and 'coi-desktop retention show'`);
    return { found, problems };
  }
}

