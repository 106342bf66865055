import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindow, Dialog } from 'electron';
import type { FilePicker } from '../backups/transfers';

const BACKUPS = [{ name: 'Incus backups', extensions: ['gz', 'tar', 'xz', 'zst', 'bz2'] }];

/**
 * The desktop app's save and open dialogs for backup files, attached to the window when there is
 * one. Nothing else: the export or import itself runs in the core.
 */
export function fileDialogs(dialog: Pick<Dialog, 'showSaveDialog' | 'showOpenDialog'>, window: () => BrowserWindow | undefined, downloads = join(homedir(), 'Downloads')): FilePicker {
  return {
    saveAs: async (suggestedName) => {
      const options = { title: 'Export backup', defaultPath: join(downloads, suggestedName), filters: BACKUPS };
      const parent = window();
      const result = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
      return result.canceled || !result.filePath ? null : result.filePath;
    },
    openBackup: async () => {
      const options = { title: 'Import backup', properties: ['openFile' as const], filters: BACKUPS };
      const parent = window();
      const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : result.filePaths[0] ?? null;
    },
  };
}
