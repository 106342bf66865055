import { hostname } from 'node:os';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { HostConfig } from '../../shared/hosts';
import { processAlive, removeStaleTemporaries, writeFileAtomic } from '../config/atomic-file';
import { AppError } from '../errors';
import type { IncusClient } from '../incus/client';
import { IncusUnreachableError, isNotFound } from '../incus/errors';
import { listOperations } from './operations';

/** Where the journal lives in the config directory: one file per temporary object not yet removed. */
export const TEMPORARIES_DIR = 'temporaries';
/** Temporary instances `backup export --snapshot` makes start with this: recognisable in `incus list`. */
export const EXPORT_COPY_PREFIX = 'coi-export-';
/** Temporary images and snapshots `snapshot diff` makes start with this (`incus image list`, `incus snapshot list`). */
export const DIFF_PREFIX = 'coi-diff-';
/**
 * An entry this young whose object is not there (yet) is kept: a request that reached Incus just before
 * its process died can take a moment (seconds on a loaded server) before Incus even starts the operation.
 */
const SETTLE_MS = 60_000;
/** How long clean-up keeps trying after the connection dropped (it reconnects meanwhile). */
const CLEANUP_RETRY_MS = 20_000;

/**
 * A temporary object this app makes on an Incus server. Only names with the app's own prefixes are
 * ever recorded or removed: an entry naming anything else (written by hand, damaged) is refused.
 */
const TemporarySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('instance'), name: z.string().startsWith(EXPORT_COPY_PREFIX) }),
  z.object({ kind: z.literal('image'), alias: z.string().startsWith(DIFF_PREFIX) }),
  z.object({ kind: z.literal('snapshot'), instance: z.string().min(1), name: z.string().startsWith(DIFF_PREFIX) }),
]);
export type Temporary = z.infer<typeof TemporarySchema>;

/** Where a temporary object is made: the host's name, its Incus project, and the server it points to. */
export interface Place {
  host: string;
  project: string;
  /** What identifies the server: `local`, `ssh://user@host:port[/socket]` or the https URL. */
  server: string;
}

const EntrySchema = z.object({
  host: z.string(),
  project: z.string(),
  server: z.string(),
  object: TemporarySchema,
  pid: z.number().int(),
  machine: z.string(),
  startedAt: z.string(),
});
type Entry = z.infer<typeof EntrySchema>;

/** A recorded object: the journal file that stands for it. */
export type Recorded = string;

/** The server a host's configuration points to, as a journal entry records it. */
export function serverOf(config: HostConfig): string {
  if (config.kind === 'local') return 'local';
  if (config.kind === 'incus') return config.url;
  return `ssh://${config.user}@${config.host}:${config.port}${config.socketPath ?? ''}`;
}

/** The files this process's operations are making or removing now (never a leftover). */
const inUse = new Set<string>();

/**
 * The temporary objects on Incus servers (an export's `coi-export-…` copy, a diff's `coi-diff-…` image
 * or snapshot) that commands on this computer made on one host and have not removed yet. An object is
 * recorded *before* Incus is asked for it and forgotten only once it is gone, so a process killed at
 * any moment (`kill -9`, a power cut, a request that timed out while Incus went on) leaves an entry:
 * the next export, import or diff on that host removes it (`sweepLeftovers`), in the project and on
 * the server it was made in. One file per object, so concurrent processes never write the same file.
 */
export class TemporaryJournal {
  constructor(
    private readonly dir: string,
    readonly place: Place,
    private readonly self = { pid: process.pid, machine: hostname() },
  ) {}

  /** Records `object` (its name is unique: it ends in random hex), about to be made by this process. */
  async record(object: Temporary): Promise<Recorded> {
    const file = join(this.dir, `${object.kind}-${object.kind === 'image' ? object.alias : object.name}.json`);
    const entry: Entry = { ...this.place, object, pid: this.self.pid, machine: this.self.machine, startedAt: new Date().toISOString() };
    inUse.add(file);
    await mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      inUse.delete(file);
      throw notADirectory(this.dir, error);
    });
    await writeFileAtomic(file, JSON.stringify(entry) + '\n');
    return file;
  }

  /** The operation that made the object has ended without knowing it gone: a leftover now, even for this process. */
  release(file: Recorded): void {
    inUse.delete(file);
  }

  /** The object is gone from the server: nothing left to clean up. */
  async forget(file: Recorded): Promise<void> {
    await rm(file, { force: true });
    inUse.delete(file);
  }

  /**
   * The objects on this host whose operation has ended without removing them: recorded on this
   * computer by a process that no longer runs, or by this one in an operation that has ended. A pid
   * used again by another process only delays the clean-up until that one ends. An entry that cannot
   * be read is set aside (renamed `….unreadable`) and said once in `problems`.
   */
  async leftovers(): Promise<{ found: { file: Recorded; entry: Entry }[]; problems: string[] }> {
    await removeStaleTemporaries(this.dir); // an entry's write killed half-way
    const { entries, unreadable } = await readJournal(this.dir, EntrySchema, `not an entry of this version, or naming an object without the ${EXPORT_COPY_PREFIX} or ${DIFF_PREFIX} prefix`);
    const found = entries.filter(({ file, entry }) => abandoned(entry, this.place.host, this.self, inUse.has(file)));
    const problems = unreadable.map(({ file, reason, aside }) => {
      const where = aside ? `it was set aside as ${aside} and is not read again` : 'it could not be set aside either, so this repeats';
      return `The record ${file} of a temporary object on an Incus server could not be used (${reason}); ${where}. If it names a ${EXPORT_COPY_PREFIX}… or ${DIFF_PREFIX}… object still on a server, remove that with incus; then delete the file`;
    });
    return { found, problems };
  }
}

/**
 * Whether a journal entry was left on `host` by its writer: written on this computer by a process that
 * no longer runs, or by this one (`self`) for an operation that is no longer `held`. A pid used again by
 * another process only delays the clean-up until that one ends.
 */
export function abandoned(entry: { host: string; pid: number; machine: string }, host: string, self: { pid: number; machine: string }, held: boolean): boolean {
  if (entry.host !== host || entry.machine !== self.machine) return false;
  return entry.pid === self.pid ? !held : !processAlive(entry.pid);
}

/** An entry, 'gone' when the file is no longer there, or why it cannot be used. */
/**
 * The entries of a journal folder (`*.json`), each checked with `schema`; one removed meanwhile (by the
 * process that made it) is skipped, and one that cannot be used is renamed `….unreadable` (`aside`:
 * null when that failed too) and returned with why, so the caller says it once.
 */
export async function readJournal<E>(dir: string, schema: z.ZodType<E>, wrongShape: string): Promise<{ entries: { file: string; entry: E }[]; unreadable: { file: string; reason: string; aside: string | null }[] }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries: { file: string; entry: E }[] = [];
  const unreadable: { file: string; reason: string; aside: string | null }[] = [];
  for (const name of names.filter((file) => file.endsWith('.json'))) {
    const file = join(dir, name);
    const read = await readEntry(file, schema, wrongShape);
    if (read === 'gone') continue;
    if ('reason' in read) {
      const aside = `${file}.unreadable`;
      const moved = await rename(file, aside).then(() => true, () => false);
      unreadable.push({ file, reason: read.reason, aside: moved ? aside : null });
    } else {
      entries.push({ file, entry: read.entry });
    }
  }
  return { entries, unreadable };
}

async function readEntry<E>(file: string, schema: z.ZodType<E>, wrongShape: string): Promise<{ entry: E } | { reason: string } | 'gone'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : { reason: describe(error) };
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? { entry: parsed.data } : { reason: wrongShape };
  } catch (error) {
    return { reason: describe(error) };
  }
}

function notADirectory(dir: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EEXIST' && code !== 'ENOTDIR') return error as Error;
  return new AppError('invalid-input', `${dir} is not a directory: coi-desktop records there the temporary objects it makes on Incus servers, so that one a killed command leaves is removed later. Move that file away (or remove it) and try again`);
}

/** "the temporary container 'X'", for messages. */
export function temporaryText(object: Temporary): string {
  if (object.kind === 'instance') return `the temporary container '${object.name}'`;
  if (object.kind === 'image') return `the temporary image '${object.alias}'`;
  return `the temporary snapshot '${object.name}' of '${object.instance}'`;
}

/** The incus command that removes `object` in `project`. */
export function removeCommand(object: Temporary, project: string): string {
  const where = project === 'default' ? '' : ` --project ${project}`;
  if (object.kind === 'instance') return `incus delete ${object.name}${where}`;
  if (object.kind === 'image') return `incus image delete ${object.alias}${where}`;
  return `incus snapshot delete ${object.instance} ${object.name}${where}`;
}

/**
 * Removes the objects that commands on this computer left on the journal's host when they were killed:
 * each in the project it was made in. One made on another server than the host points to now is kept
 * and said; one not there yet whose entry is younger than a minute is looked for again next time. Never
 * fails the command that asked: what could not be removed is said, and tried again next time.
 */
export async function sweepLeftovers(client: IncusClient, journal: TemporaryJournal | undefined, notice: (message: string) => void = () => undefined): Promise<void> {
  if (!journal) return;
  const { found, problems } = await journal.leftovers();
  problems.forEach(notice);
  for (const { file, entry } of found) {
    const { host, project, server, object } = entry;
    const what = `${temporaryText(object)} that an interrupted ${object.kind === 'instance' ? 'export' : 'diff'} left on ${host}${project === 'default' ? '' : ` in project ${project}`}`;
    if (server !== journal.place.server) {
      notice(`${capital(what)} is not removed: it was made on ${server}, and ${host} now points to ${journal.place.server}. Remove it there with '${removeCommand(object, project)}', then delete ${file}`);
      continue;
    }
    try {
      const removed = await removeTemporary(client.inProject(project), object, 'unknown');
      if (!removed && Date.now() - Date.parse(entry.startedAt) < SETTLE_MS) continue; // may still appear: looked for again next time
      await journal.forget(file);
      if (removed) notice(`Removed ${what}`);
    } catch (error) {
      notice(`${capital(what)} could not be removed (${describe(error)}): run '${removeCommand(object, project)}'; it is tried again on the next export, import or diff`);
    }
  }
}

const AliasSchema = z.object({ target: z.string() });

/**
 * Removes `object` (ignoring the client's own signal: this is the clean-up after Ctrl-C too); whether
 * there was anything to remove. `pending`: the operation that may still make it — its id (waited for
 * first), or 'unknown': when the object is not there or cannot be removed yet (Incus refuses to delete
 * an instance it is still creating), the running operations that could make it are waited for and
 * it is tried again, so an object that appears later is not missed.
 */
export async function removeTemporary(client: IncusClient, object: Temporary, pending?: string): Promise<boolean> {
  const detached = client.detached();
  if (pending && pending !== 'unknown') await detached.waitOperation(pending, { detached: true }).catch(() => undefined);
  const first = await removeNow(detached, object).then((removed) => ({ removed }), (error: unknown) => ({ error }));
  if ('removed' in first && (first.removed || pending !== 'unknown')) return first.removed;
  if ('error' in first && pending !== 'unknown') throw first.error;
  // Tried again after the wait, and after a refusal in any case: the operation may have ended meanwhile.
  const waited = await waitForMaking(detached, object);
  return waited || 'error' in first ? removeNow(detached, object) : false;
}

async function removeNow(client: IncusClient, object: Temporary): Promise<boolean> {
  if (object.kind === 'instance') return removeResource(client, `/1.0/instances/${enc(object.name)}`);
  if (object.kind === 'snapshot') return removeResource(client, `/1.0/instances/${enc(object.instance)}/snapshots/${enc(object.name)}`);
  try {
    const { target } = await client.query('GET', `/1.0/images/aliases/${enc(object.alias)}`, AliasSchema);
    return await removeResource(client, `/1.0/images/${enc(target)}`);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The description Incus gives the operation that makes each kind of object (a publish is "Downloading image"). */
const MAKING: Record<Temporary['kind'], string> = { instance: 'Creating instance', snapshot: 'Snapshotting instance', image: 'Downloading image' };

/**
 * Waits for the running operations that could make `object`: those of its kind on its instance (a
 * publish names no instance, so for an image every publish still running). Whether there were any.
 */
async function waitForMaking(client: IncusClient, object: Temporary): Promise<boolean> {
  const instance = object.kind === 'instance' ? object.name : object.kind === 'snapshot' ? object.instance : undefined;
  const running = (await listOperations(client)).filter(
    (operation) => operation.status === 'Running' && operation.description === MAKING[object.kind] && (instance === undefined || operation.instances.includes(instance)),
  );
  await Promise.all(running.map((operation) => client.waitOperation(operation.id, { detached: true }).catch(() => undefined)));
  return running.length > 0;
}

/**
 * Deletes `path` (detached from the client's signal); a delete whose outcome was not seen (its
 * operation vanished, the connection dropped) counts as done when the resource is gone. Whether there
 * was anything to delete.
 */
export async function removeResource(client: IncusClient, path: string): Promise<boolean> {
  try {
    await retryingWhileUnreachable(() => client.run('DELETE', path, undefined, { detached: true }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    const gone = await retryingWhileUnreachable(() => client.run('GET', path, undefined, { detached: true })).then(() => false, (lookup: unknown) => isNotFound(lookup));
    if (!gone) throw error;
    return true;
  }
}

/** Runs `work` again while the daemon cannot be reached (a dropped SSH connection reconnects meanwhile). */
async function retryingWhileUnreachable<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + CLEANUP_RETRY_MS;
  for (let pause = 250; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof IncusUnreachableError) || error.code === 'timeout' || Date.now() + pause > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

const enc = encodeURIComponent;
const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
