import type { Transfer } from '../../../shared/model';
import { call } from './api';

/**
 * How this face handles backup files, asked once: `native` (the desktop app's save and open dialogs)
 * or `browser` (web mode: a download, and an upload of a picked file).
 */
class BackupFiles {
  mode = $state<'native' | 'browser' | null>(null);
  private asked: Promise<void> | undefined;

  load(): Promise<void> {
    this.asked ??= call('backups.files', {}).then(
      ({ files }) => void (this.mode = files),
      () => void (this.asked = undefined),
    );
    return this.asked;
  }
}

export const backupFiles = new BackupFiles();

/** Starts a browser download of `url` (same origin: the server's answer names the file). */
export function startDownload(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * POSTs `file` to the one-time upload address: the browser streams it from disk. The import's result
 * arrives as a `transfer` event too; a failure here is one of the connection to web mode.
 */
export async function uploadFile(url: string, file: File): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file });
  const answer = (await response.json().catch(() => null)) as { ok?: boolean; error?: { message?: string } } | null;
  if (!answer?.ok) throw new Error(answer?.error?.message ?? `the upload failed (HTTP ${response.status})`);
}

/** What the drawer's history says of a transfer that ended. */
export function transferOutcome(transfer: Transfer): { ok: boolean; label: string; detail: string } {
  const label = transfer.label;
  if (transfer.state === 'cancelled') return { ok: false, label, detail: 'Cancelled: nothing was kept (no file, no server-side backup).' };
  if (transfer.state === 'failed') return { ok: false, label, detail: transfer.error ?? 'failed' };
  if (transfer.kind === 'export') return { ok: true, label, detail: `Saved ${transfer.file ?? 'the backup'} · SHA-256 ${transfer.sha256 ?? 'unknown'}` };
  return { ok: true, label, detail: `Imported ${transfer.file ?? 'the backup'} as ${transfer.container ?? 'a new container'} on ${transfer.host}` };
}
