import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, link, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { check, lock } from 'proper-lockfile';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors';
import type { IncusClient } from '../incus/client';
import { exportedContainerName, streamBackup, type BackupHooks, type ExportRequest } from './export';
import { importBackup, type ImportResult } from './import';
import { TransferMeter, transportFailure, type TransferProgress } from './progress';

/** Read the file to import in 1 MiB chunks: with Node's 64 KiB default the upload takes twice as long. */
const READ_CHUNK = 1 << 20;

export interface TransferHooks extends BackupHooks {
  onProgress?: (progress: TransferProgress) => void;
}

export interface ExportResult {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Exports a container (or one of its snapshots) to the file `target`: the download streams into a
 * temporary `…partial` file beside it while its SHA-256 is computed; only once every byte the daemon
 * announced has arrived is it flushed to disk and given its name. Whatever else happens, no partial
 * file is left and nothing stays on the server. An existing `target` is refused, never overwritten.
 */
export async function exportToFile(client: IncusClient, request: ExportRequest, target: string, hooks: TransferHooks = {}): Promise<ExportResult> {
  await refuseExisting(target);
  await removeAbandonedPartials(dirname(target), hooks);
  const partial = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.partial`);
  return streamBackup(client, request, hooks, async (download) => {
    const meter = new TransferMeter(download.size ?? null, hooks.onProgress);
    const release = await holdPartial(partial);
    try {
      try {
        // `flush`: the file's data reaches the disk before the stream reports it closed.
        await pipeline(download.body, meter, createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true }), { signal: hooks.signal });
        checkComplete(meter.bytes, download.size);
      } catch (error) {
        await unlink(partial).catch(() => undefined);
        throw nothingSaved(transportFailure(error, 'download', meter.bytes, download.size ?? null, client.requestTimeoutMs));
      }
      await publish(partial, target);
    } finally {
      await release();
    }
    return { path: target, bytes: meter.bytes, sha256: meter.digest() };
  });
}

/** How `exportToFile` names its temporary file (`.<name>.<8 hex>.partial`) and the lock it holds on it (`….partial.lock`). */
const PARTIAL = /^\..+\.[0-9a-f]{8}\.partial(\.lock)?$/;
/** A partial file's lock not refreshed for this long belongs to an export that was killed (the holder refreshes it every 5 s). */
const PARTIAL_STALE_MS = 30_000;

/**
 * Holds the lock on an export's partial file (proper-lockfile: a `….lock` folder its holder keeps
 * fresh), so that another export into the same folder — another process, another pid namespace,
 * another computer on a shared folder — can tell a file still being written from one left by a kill.
 * Resolves with the function that releases it.
 */
async function holdPartial(partial: string): Promise<() => Promise<void>> {
  const release = await lock(partial, { realpath: false, lockfilePath: `${partial}.lock`, stale: PARTIAL_STALE_MS, update: 5_000, onCompromised: () => undefined });
  return () => release().catch(() => undefined);
}

/**
 * Removes what exports into `dir` left when their process was killed (`kill -9`, a power cut): a
 * partial file, with its lock, once that lock has not been refreshed for `PARTIAL_STALE_MS`. A file
 * without such a lock is never touched, whatever its name; nor is one whose export is running.
 */
async function removeAbandonedPartials(dir: string, hooks: TransferHooks): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((entry) => PARTIAL.test(entry) && entry.endsWith('.lock'))) {
    const partial = join(dir, name.slice(0, -'.lock'.length));
    const held = await check(partial, { realpath: false, lockfilePath: `${partial}.lock`, stale: PARTIAL_STALE_MS }).catch(() => true);
    if (held) continue;
    const removed = await unlink(partial).then(() => true, () => false); // gone already: killed before it was made
    await rm(`${partial}.lock`, { recursive: true, force: true });
    if (removed) hooks.onNotice?.(`Removed ${partial}, the unfinished file of an export that was killed`);
  }
}

/** Imports the backup file `path` as a new instance (its own name, or `name`), streaming it from disk. */
export async function importFromFile(client: IncusClient, path: string, name: string | undefined, hooks: TransferHooks = {}): Promise<ImportResult> {
  const size = await stat(path).then(
    (info) => {
      if (!info.isFile()) throw new AppError('invalid-input', `${path} is not a file`);
      return info.size;
    },
    (error: NodeJS.ErrnoException) => {
      throw new AppError('not-found', `cannot read ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    },
  );
  const name_ = name ?? (await nameInBackup(path));
  return importBackup(client, { body: () => createReadStream(path, { highWaterMark: READ_CHUNK }), size, name: name_, explicitName: name !== undefined }, hooks);
}

/** The instance name a backup file holds (`backup/index.yaml`), or undefined when it cannot be read. */
async function nameInBackup(path: string): Promise<string | undefined> {
  const { readBackupName } = await import('./backup-index');
  const name = await readBackupName(createReadStream(path)).catch(() => undefined);
  return name === undefined ? undefined : exportedContainerName(name);
}

/** A failed download's error, saying that no file was left behind. */
function nothingSaved(error: unknown): unknown {
  if (error instanceof Error && !(error instanceof AppError) && !/nothing was saved/.test(error.message)) error.message = `${error.message}; nothing was saved`;
  return error;
}

async function refuseExisting(target: string): Promise<void> {
  const exists = await stat(target).then(() => true, () => false);
  if (exists) throw new AppError('already-exists', `${target} already exists: remove it or choose another file (--output)`);
  const folder = await stat(dirname(target)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new AppError('not-found', `the folder ${dirname(target)} does not exist`);
  await access(dirname(target), constants.W_OK).catch(() => {
    throw new AppError('invalid-input', `cannot write in the folder ${dirname(target)} (permission denied): choose another file (--output); nothing was exported`);
  });
}

/** Fails unless exactly the announced number of bytes arrived (a cut connection can look like an end). */
export function checkComplete(received: number, announced: number | undefined): void {
  if (announced !== undefined && received !== announced) {
    throw new AppError('connection-lost', `the download ended after ${received} of ${announced} bytes: the connection was cut; nothing was saved`);
  }
}

/** Gives the finished file its name without ever replacing a file that appeared meanwhile; then flushes the folder. */
async function publish(partial: string, target: string): Promise<void> {
  try {
    await link(partial, target);
    await unlink(partial);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await unlink(partial).catch(() => undefined);
      throw new AppError('already-exists', `${target} appeared while the backup was downloading: it was left alone and nothing was saved`);
    }
    // A file system without hard links: a plain rename.
    await rename(partial, target).catch(async (renameError: unknown) => {
      await unlink(partial).catch(() => undefined);
      throw renameError;
    });
  }
  const folder = await open(dirname(target), 'r');
  await folder.sync().catch(() => undefined);
  await folder.close();
}

