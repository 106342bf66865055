import type { Readable } from 'node:stream';
import { instanceNameProblem } from '../../shared/names';
import { AppError } from '../errors';
import type { IncusClient } from '../incus/client';
import { IncusError, IncusInterruptedError, IncusOperationError, IncusUnreachableError } from '../incus/errors';
import { humanSize } from '../../shared/size';
import * as api from '../incus/instances';
import { sweepLeftovers } from '../app/temporaries';
import { afterRunningOperations, outcomeUnknown } from '../snapshots/after-drop';
import { TransferMeter, transportFailure } from './progress';
import type { TransferHooks } from './files';

export interface ImportSource {
  /** Opens the backup's bytes (called once). */
  body: () => Readable;
  /** Its size in bytes, when known: progress and ETA. */
  size: number | null;
  /** The name the instance gets; absent: the one in the backup. */
  name: string | undefined;
  /** The name was asked for (`--name`), not read from the backup. */
  explicitName: boolean;
}

export interface ImportResult {
  name: string | null;
  bytes: number;
}

/**
 * Creates an instance from a backup tarball: `POST /1.0/instances` with the tarball as the body
 * (`X-Incus-name` for a new name), streamed with progress. A name already taken is refused before a
 * byte is sent, and so is a backup listing a snapshot named '..' (backup-index.ts); a file the daemon
 * cannot read fails with its reason. Temporary copies that killed exports left on this host are
 * removed first.
 */
export async function importBackup(client: IncusClient, source: ImportSource, hooks: TransferHooks = {}): Promise<ImportResult> {
  await sweepLeftovers(client, hooks.journal, hooks.onNotice);
  if (source.name !== undefined) {
    const problem = instanceNameProblem(source.name);
    if (problem) throw new AppError('invalid-input', problem);
    const taken = new Set(await api.listInstanceNames(client));
    if (taken.has(source.name)) {
      const hint = source.explicitName ? 'pick another name' : 'import it under another name with --name NEW';
      throw new AppError('already-exists', `an instance named '${source.name}' already exists: ${hint} (nothing was changed)`);
    }
  }
  const { checkedBackup } = await import('./backup-index');
  const body = await checkedBackup(source.body());
  const meter = new TransferMeter(source.size, hooks.onProgress, { hash: false });
  body.on('error', (error) => meter.destroy(error));
  body.pipe(meter);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (source.name !== undefined) headers['x-incus-name'] = source.name;
  if (source.size !== null) headers['content-length'] = String(source.size);
  try {
    const operation = await client.upload('/1.0/instances', meter, headers, {
      signal: hooks.signal,
      // Without anyone to show progress to, one long wait on the operation (no polling every second).
      ...(hooks.onStage ? { onProgress: () => hooks.onStage?.('creating the instance from the backup') } : {}),
    });
    const created = (operation.resources?.instances ?? []).map((url) => decodeURIComponent(url.split('/').pop() ?? '').split('?')[0] ?? '');
    return { name: source.name ?? created[0] ?? null, bytes: meter.bytes };
  } catch (error) {
    if (hooks.signal?.aborted && source.size !== null && meter.bytes < source.size) throw stoppedMidUpload(meter.bytes, source.size);
    if (outcomeUnknown(error) && !hooks.signal?.aborted) {
      return importAfterDrop(client, source, transportFailure(error, 'upload', meter.bytes, source.size, client.requestTimeoutMs), hooks, meter.bytes);
    }
    throw explainImportFailure(error, source);
  } finally {
    body.destroy();
    meter.destroy();
  }
}

/**
 * After the upload stalled or its connection dropped: whether Incus created the instance, looked up
 * once the host answers again and every operation on that name has ended (never assumed, never
 * imported again). Made: the import succeeded, and a notice says what happened. Not made: an error
 * saying nothing was imported. Unknown (the host stayed away, or the name is not known): an error
 * saying what to check before importing again.
 */
async function importAfterDrop(client: IncusClient, source: ImportSource, error: unknown, hooks: TransferHooks, bytes: number): Promise<ImportResult> {
  const what = error instanceof Error ? error.message : String(error);
  const code = error instanceof IncusUnreachableError && error.code === 'timeout' ? 'incus-unreachable' : 'connection-lost';
  const name = source.name;
  if (name === undefined) throw new AppError(code, `${what}; whether Incus imported the backup is unknown (its name could not be read from the file): look with 'incus list' on the host before importing it again`);
  const made = await afterRunningOperations(client, name, async () => (await api.listInstanceNames(client)).includes(name));
  if (made === true) {
    hooks.onNotice?.(`${what}; but Incus had the whole file and created '${name}' (looked up once the host answered again)`);
    return { name, bytes };
  }
  if (made === false) throw new AppError(code, `${what}; nothing was imported: Incus has no instance '${name}' (looked up once the host answered again); import the file again`);
  throw new AppError(code, `${what}; whether '${name}' was imported is unknown (the host did not answer again): check with 'incus list ${name}' on the host before importing it again`);
}

/**
 * Stopped before the whole file was sent: Incus cannot make an instance of part of a backup, so
 * nothing was imported (was: "the change may still happen there", as for a request that had been sent).
 */
function stoppedMidUpload(bytes: number, size: number): IncusInterruptedError {
  return new IncusInterruptedError(`Interrupted: the import was stopped after ${humanSize(bytes)} of ${humanSize(size)} had been sent; Incus never had the whole file, so nothing was imported`);
}

/** The daemon's reason, with what to do next where it is clear. */
function explainImportFailure(error: unknown, source: ImportSource): unknown {
  if (!(error instanceof IncusError || error instanceof IncusOperationError)) return error;
  const reason = error.message;
  if (/already exists/i.test(reason)) {
    return new AppError('already-exists', `Incus refused the import: ${reason}; import it under another name${source.explicitName ? '' : ' with --name NEW'}`);
  }
  return new AppError('incus', `Incus could not import the backup: ${reason}`);
}
