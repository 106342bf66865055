import { randomBytes, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Transfer } from '../../shared/model';
import type { AppJobs } from '../app/jobs';
import { AppError } from '../errors';
import type { IncusClient } from '../incus/client';
import type { TemporaryJournal } from '../app/temporaries';
import { defaultBackupFileName, streamBackup, type ExportRequest } from './export';
import { checkComplete, exportToFile, importFromFile, type TransferHooks } from './files';
import { importBackup, type ImportResult } from './import';
import { progressLine, TransferMeter, transportFailure } from './progress';

/** How the desktop app asks where a backup goes and which file to import (Electron's dialogs). */
export interface FilePicker {
  saveAs(suggestedName: string): Promise<string | null>;
  openBackup(): Promise<string | null>;
}

/** A browser download's response: headers once the size is known, then the bytes. */
export interface DownloadSink extends Writable {
  writeHead(status: number, headers: Record<string, string>): unknown;
  readonly headersSent: boolean;
}

interface Offer<T> {
  host: string;
  request: T;
  expires: number;
}

/** A one-time address is valid this long after the page asked for it. */
const OFFER_MS = 60_000;

/**
 * The backup transfers of this app session. Each runs as an app job, so the Operations drawer shows
 * it among the host's Incus operations with its progress (at most every 250 ms) and *Cancel*
 * (`operations.cancel`); its start and its end (with the file's SHA-256, or the reason) are `transfer`
 * events. Web mode's downloads and uploads are offered as one-time addresses whose random ticket is
 * the only credential a browser download can carry.
 */
export class Transfers {
  private readonly downloads = new Map<string, Offer<ExportRequest>>();
  private readonly uploads = new Map<string, Offer<{ name?: string; fileName: string; size: number }>>();

  constructor(
    private readonly client: (host: string) => IncusClient,
    private readonly jobs: AppJobs,
    private readonly emit: (transfer: Transfer) => void,
    /** Where the temporary objects made on a host are recorded (leftovers removed by the next transfer or diff). */
    private readonly journal?: (host: string) => TemporaryJournal,
  ) {}

  /** Exports to `path` on this computer in the background; the transfer as it starts. */
  exportToFile(host: string, request: ExportRequest, path: string): Transfer {
    return this.start(host, 'export', exportLabel(request), path, (hooks) =>
      exportToFile(this.client(host), request, path, hooks).then((result) => ({ sha256: result.sha256 })),
    ).transfer;
  }

  /** Imports the file at `path` in the background; the transfer as it starts. */
  importFromFile(host: string, path: string, name: string | undefined): Transfer {
    return this.start(host, 'import', `Import of ${basename(path)}`, path, (hooks) =>
      importFromFile(this.client(host), path, name, hooks).then(imported),
    ).transfer;
  }

  /** A one-time path (`/api/backup/download/TICKET`) whose GET streams the backup to the browser. */
  offerDownload(host: string, request: ExportRequest): string {
    return `/api/backup/download/${this.offer(this.downloads, { host, request, expires: Date.now() + OFFER_MS })}`;
  }

  /** A one-time path (`/api/backup/upload/TICKET`) to POST the backup file's bytes to. */
  offerUpload(host: string, upload: { name?: string; fileName: string; size: number }): string {
    return `/api/backup/upload/${this.offer(this.uploads, { host, request: upload, expires: Date.now() + OFFER_MS })}`;
  }

  /**
   * Serves a download ticket: streams the backup into `response` (its SHA-256 computed on the way, so
   * the drawer can show it), with the server-side backup removed afterwards. An unknown or used ticket
   * is refused before anything happens.
   */
  async download(ticket: string, response: DownloadSink): Promise<void> {
    const offer = this.redeem(this.downloads, ticket);
    const fileName = defaultBackupFileName(offer.request, new Date());
    const { done } = this.start(offer.host, 'export', exportLabel(offer.request), fileName, async (hooks) => {
      let sha256 = '';
      const client = this.client(offer.host);
      await streamBackup(client, offer.request, hooks, async (download) => {
        const meter = new TransferMeter(download.size ?? null, hooks.onProgress);
        response.writeHead(200, {
          'content-type': 'application/gzip',
          'content-disposition': `attachment; filename="${fileName}"`,
          'cache-control': 'no-store',
          ...(download.size === undefined ? {} : { 'content-length': String(download.size) }),
        });
        try {
          await pipeline(download.body, meter, response, { signal: hooks.signal });
          checkComplete(meter.bytes, download.size);
        } catch (error) {
          // The same words as a download to a file: how far it got, and a stall said as one.
          throw transportFailure(error, 'download', meter.bytes, download.size ?? null, client.requestTimeoutMs);
        }
        sha256 = meter.digest();
      });
      return { sha256 };
    });
    const transfer = await done;
    if (transfer.state !== 'done' && !response.headersSent) throw new AppError(transfer.state === 'cancelled' ? 'invalid-input' : 'incus', transfer.error ?? 'the export failed');
    if (transfer.state !== 'done') response.destroy();
  }

  /** Serves an upload ticket: `body` (the browser's request) streams straight to the daemon. */
  async upload(ticket: string, body: Readable): Promise<Transfer> {
    const offer = this.redeem(this.uploads, ticket);
    const { name, fileName, size } = offer.request;
    const { done } = this.start(offer.host, 'import', `Import of ${fileName}`, fileName, (hooks) =>
      importBackup(this.client(offer.host), { body: () => body, size, name, explicitName: name !== undefined }, hooks).then(imported),
    );
    return done;
  }

  private offer<T>(offers: Map<string, Offer<T>>, offer: Offer<T>): string {
    for (const [ticket, old] of offers) if (old.expires < Date.now()) offers.delete(ticket);
    const ticket = randomBytes(32).toString('base64url');
    offers.set(ticket, offer);
    return ticket;
  }

  private redeem<T>(offers: Map<string, Offer<T>>, ticket: string): Offer<T> {
    const offer = offers.get(ticket);
    offers.delete(ticket);
    if (!offer || offer.expires < Date.now()) throw new AppError('not-found', 'this backup address is unknown, used or expired: start the export or import again');
    return offer;
  }

  /** Runs `work` as an app job: progress in the drawer, its start and end as `transfer` events; never thrown. */
  private start(
    host: string,
    kind: Transfer['kind'],
    label: string,
    file: string,
    work: (hooks: TransferHooks) => Promise<Partial<Pick<Transfer, 'sha256' | 'container'>>>,
  ): { transfer: Transfer; done: Promise<Transfer> } {
    const transfer: Transfer = { id: randomUUID(), host, kind, label, state: 'running', bytes: 0, file, sha256: null, container: null, error: null, startedAt: new Date().toISOString() };
    this.emit(transfer);
    let bytes = 0;
    const done = this.jobs
      .run(host, transfer.id, label, [], ({ signal, progress }) =>
        work({
          signal,
          journal: this.journal?.(host),
          onStage: (stage) => progress(stage, null),
          onNotice: (notice) => progress(notice, null),
          onProgress: (measured) => {
            bytes = measured.bytes;
            progress(progressLine(measured), measured.total ? Math.floor((measured.bytes / measured.total) * 100) : null, measured.stalledSeconds);
          },
        }),
      )
      .then(
        (result): Transfer => ({ ...transfer, ...result, bytes, state: 'done' }),
        (error: unknown): Transfer => ({ ...transfer, bytes, state: stoppedBy(error) ? 'cancelled' : 'failed', error: error instanceof Error ? error.message : String(error) }),
      )
      .then((ended) => {
        this.emit(ended);
        return ended;
      });
    return { transfer, done };
  }
}

/** AppJobs wraps the reason of a cancelled job: "… cancelled: Interrupted: …". */
function stoppedBy(error: unknown): boolean {
  return error instanceof AppError && error.code === 'operation-failed' && / cancelled: /.test(error.message);
}

function exportLabel(request: ExportRequest): string {
  return `Export of ${request.container}${request.snapshot ? ` at snapshot ${request.snapshot}` : ''}`;
}

function imported(result: ImportResult): { container: string | null } {
  return { container: result.name };
}
