import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { processAlive } from '../config/atomic-file';
import { AppError } from '../errors';
import type { IncusClient } from '../incus/client';
import { exportedContainerName, streamBackup, type BackupHooks, type ExportRequest } from './export';
import { importBackup, type ImportResult } from './import';
import { TransferMeter, type TransferProgress } from './progress';

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
  await removeDeadPartials(dirname(target), hooks);
  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  return streamBackup(client, request, hooks, async (download) => {
    const meter = new TransferMeter(download.size ?? null, hooks.onProgress);
    try {
      // `flush`: the file's data reaches the disk before the stream reports it closed.
      await pipeline(download.body, meter, createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true }), { signal: hooks.signal });
      checkComplete(meter.bytes, download.size);
    } catch (error) {
      await unlink(partial).catch(() => undefined);
      throw nothingSaved(error);
    }
    await publish(partial, target);
    return { path: target, bytes: meter.bytes, sha256: meter.digest() };
  });
}

/** How `exportToFile` names its temporary file: `.<name>.<pid>.<8 hex>.partial`. */
const PARTIAL = /^\..+\.(\d+)\.[0-9a-f]{8}\.partial$/;

/**
 * Removes the temporary files that exports into `dir` left when their process was killed (`kill -9`,
 * a power cut): only files named as `exportToFile` names them, and only those whose process has
 * ended (an export running now, even a stalled one, keeps its file; a pid used again only delays this).
 */
async function removeDeadPartials(dir: string, hooks: TransferHooks): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = PARTIAL.exec(name)?.[1];
    if (!pid || processAlive(Number(pid))) continue;
    await unlink(join(dir, name)).then(
      () => hooks.onNotice?.(`Removed ${join(dir, name)}, the unfinished file of an export that was killed`),
      () => undefined, // removed meanwhile by another export
    );
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
}

/** Fails unless exactly the announced number of bytes arrived (a cut connection can look like an end). */
function checkComplete(received: number, announced: number | undefined): void {
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

