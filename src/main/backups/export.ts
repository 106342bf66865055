import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { instanceNameProblem, snapshotNameProblem } from '../../shared/names';
import { AppError } from '../errors';
import type { Operation } from '../incus/api-schemas';
import type { Download, IncusClient, WaitOptions } from '../incus/client';
import { IncusError, IncusInterruptedError, IncusOperationError } from '../incus/errors';
import * as api from '../incus/instances';
import { progressText } from '../incus/progress';
import { EXPORT_COPY_PREFIX, removeCommand, removeResource, removeTemporary, sweepLeftovers, type Recorded, type TemporaryJournal } from '../app/temporaries';

/** What to export: a container as it is now, or as it was at one of its snapshots. */
export interface ExportRequest {
  container: string;
  /** Export the container as it was at this snapshot (through a temporary copy, always removed). */
  snapshot?: string;
  /** Leave the container's snapshots out of the backup. */
  instanceOnly?: boolean;
  /** The storage driver's own format (faster, but only importable on the same driver). */
  optimized?: boolean;
}

export interface BackupHooks {
  /** Aborting stops the transfer; everything made on the server is removed all the same. */
  signal?: AbortSignal;
  /** Steps in words: "creating the backup on the server: 40%", "removing the temporary copy". */
  onStage?: (message: string) => void;
  /** Something the user should read whatever the output is (a leftover removed, or one that could not be). */
  onNotice?: (message: string) => void;
  /**
   * Where this computer records the temporary objects it makes on this host (a `--snapshot` export's
   * copy): one a killed process left is removed by the next export, import or diff there.
   */
  journal?: TemporaryJournal;
  now?: () => Date;
}

/** A server-side backup this app makes expires after this long, so a crash never leaves it for ever. */
export const BACKUP_EXPIRY_MS = 24 * 60 * 60 * 1000;

const enc = encodeURIComponent;
const BackupNamesSchema = z.array(z.string());

/** The names of the server-side backups of `instance` (what a clean-up must leave empty). */
export async function listServerBackups(client: IncusClient, instance: string): Promise<string[]> {
  const urls = await client.query('GET', `/1.0/instances/${enc(instance)}/backups`, BackupNamesSchema);
  return urls.map((url) => decodeURIComponent(url.split('/').pop() ?? ''));
}

/**
 * The name an imported backup gets by default: its own, except that a snapshot's export (made from a
 * temporary `coi-export-<container>-<hex>` copy) comes back under the container's name.
 */
export function exportedContainerName(nameInBackup: string): string {
  const copy = new RegExp(`^${EXPORT_COPY_PREFIX}(.+)-[0-9a-f]{8}$`).exec(nameInBackup);
  return copy?.[1] ?? nameInBackup;
}

/** The file name a backup gets by default: `<container>-<snapshot or local time>.tar.gz`. */
export function defaultBackupFileName(request: ExportRequest, at: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const stamp = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `${request.container}-${request.snapshot ?? stamp}.tar.gz`;
}

/**
 * Makes a backup of the container on the server, hands its download to `consume` (which streams it
 * somewhere: a file, a browser), and removes the server-side backup and any temporary copy afterwards,
 * whatever happened (abort and a dropped connection included). A clean-up that fails is reported with
 * the command that finishes it.
 */
export async function streamBackup<T>(client: IncusClient, request: ExportRequest, hooks: BackupHooks, consume: (download: Download) => Promise<T>): Promise<T> {
  checkRequest(request);
  await sweepLeftovers(client, hooks.journal, hooks.onNotice);
  const instance = await api.getInstance(client, request.container);
  if (request.snapshot !== undefined && !instance.snapshots.some((snapshot) => snapshot.name === request.snapshot)) {
    throw new AppError('not-found', `container '${request.container}' has no snapshot '${request.snapshot}'`);
  }
  const suffix = randomBytes(4).toString('hex');
  const copy = request.snapshot === undefined ? undefined : `${EXPORT_COPY_PREFIX}${request.container.slice(0, 40).replace(/-+$/, '')}-${suffix}`;
  const source = copy ?? request.container;
  const backup = `coi-desktop-export-${suffix}`;
  // Without anyone to show progress to, one long wait on the operation (no polling every second).
  const { onStage } = hooks;
  const wait = (stage: string): WaitOptions => ({
    signal: hooks.signal,
    ...(onStage ? { onProgress: (operation: Operation) => onStage(`${stage}: ${progressText(operation)}`) } : {}),
  });
  const cleanups: (() => Promise<void>)[] = [];
  let outcome: { value: T } | { error: unknown } | undefined;
  try {
    if (copy !== undefined) {
      hooks.onStage?.(`copying snapshot '${request.snapshot}' into the temporary container '${copy}'`);
      // Recorded before Incus is asked: a process killed from here on leaves an entry the next export finds.
      const recorded = await hooks.journal?.record({ kind: 'instance', name: copy });
      let copySettled = false;
      cleanups.unshift(() => removeCopy(client, copy, hooks, copySettled, recorded));
      copySettled = await api.copyFromSnapshot(client, request.container, request.snapshot!, copy, wait('copying the snapshot')).then(
        () => true,
        (error: unknown) => {
          copySettled = error instanceof IncusError || (error instanceof IncusOperationError && error.outcome !== 'lost');
          throw error;
        },
      );
    }
    hooks.onStage?.('creating the backup on the server');
    cleanups.unshift(() => removeBackup(client, source, backup, hooks));
    const expiresAt = new Date((hooks.now?.() ?? new Date()).getTime() + BACKUP_EXPIRY_MS).toISOString();
    const body = { name: backup, expires_at: expiresAt, instance_only: copy !== undefined || (request.instanceOnly ?? false), optimized_storage: request.optimized ?? false };
    await client.run('POST', `/1.0/instances/${enc(source)}/backups`, body, wait('creating the backup'));
    const download = await client.download(`/1.0/instances/${enc(source)}/backups/${enc(backup)}/export`, hooks.signal);
    outcome = { value: await consume(download) };
  } catch (error) {
    outcome = { error };
  }
  const leftovers = await runCleanups(cleanups);
  if ('error' in outcome) throw withLeftovers(hooks.signal?.aborted ? stopped(leftovers) : outcome.error, leftovers);
  if (leftovers.length > 0) throw new AppError('incus', `the backup was saved, but ${leftovers.join('; ')}`);
  return outcome.value;
}

function checkRequest(request: ExportRequest): void {
  const problem = instanceNameProblem(request.container) ?? (request.snapshot === undefined ? undefined : snapshotNameProblem(request.snapshot));
  if (problem) throw new AppError('invalid-input', problem);
}

/** Runs every clean-up; returns what could not be cleaned up, in words with the command that does it. */
async function runCleanups(cleanups: (() => Promise<void>)[]): Promise<string[]> {
  const problems: string[] = [];
  for (const cleanup of cleanups) {
    await cleanup().catch((error: unknown) => problems.push(error instanceof Error ? error.message : String(error)));
  }
  return problems;
}

function stopped(leftovers: string[]): IncusInterruptedError {
  return new IncusInterruptedError(`Interrupted: the export was stopped; no file was written${leftovers.length === 0 ? ' and nothing was left on the server' : ''}`);
}

function withLeftovers(error: unknown, leftovers: string[]): unknown {
  if (leftovers.length === 0 || !(error instanceof Error)) return error;
  error.message = `${error.message}; and ${leftovers.join('; ')}`;
  return error;
}

async function removeBackup(client: IncusClient, instance: string, backup: string, hooks: BackupHooks): Promise<void> {
  hooks.onStage?.('removing the backup from the server');
  const path = `/1.0/instances/${enc(instance)}/backups/${enc(backup)}`;
  await removeResource(client, path).catch((error: unknown) => {
    throw new AppError('incus', `the server-side backup '${backup}' of '${instance}' could not be removed (${describe(error)}): it expires by itself within 24 hours, or run 'incus query -X DELETE ${path}'`);
  });
}

/**
 * Removes the temporary copy and its journal entry. The entry stays when the copy could not be
 * removed, and when Incus had not said whether it made the copy (the request timed out, the
 * connection dropped, Ctrl-C came while it was on its way): the copy may still appear, that is said,
 * and the next export, import or diff on the host removes it.
 */
async function removeCopy(client: IncusClient, name: string, hooks: BackupHooks, settled: boolean, recorded: Recorded | undefined): Promise<void> {
  hooks.onStage?.(`removing the temporary container '${name}'`);
  const command = removeCommand({ kind: 'instance', name }, hooks.journal?.place.project ?? 'default');
  const later = hooks.journal ? `the next export, import or diff on ${hooks.journal.place.host} removes it, or run '${command}'` : `run '${command}'`;
  const found = await removeTemporary(client, { kind: 'instance', name }).catch((error: unknown) => {
    if (recorded) hooks.journal?.release(recorded);
    throw new AppError('incus', `the temporary container '${name}' could not be removed (${describe(error)}): ${later}`);
  });
  if (found || settled) {
    if (recorded) await hooks.journal?.forget(recorded);
    return;
  }
  if (recorded) hooks.journal?.release(recorded);
  throw new AppError('incus', `the temporary container '${name}' was being made when the export stopped and may still appear: ${later}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
