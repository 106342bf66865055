import type { BrowserWindow, Dialog } from 'electron';
import { describe, expect, it } from 'vitest';
import { fileDialogs } from '../../src/main/shell/file-dialogs';

/** A fake of Electron's dialog module that answers as told and records what it was asked. */
function fakeDialog(answer: { canceled: boolean; path?: string }) {
  const asked: { parent: unknown; options: Record<string, unknown> }[] = [];
  const record = (first: unknown, second?: unknown) => {
    const [parent, options] = second === undefined ? [undefined, first] : [first, second];
    asked.push({ parent, options: options as Record<string, unknown> });
  };
  const dialog = {
    showSaveDialog: async (first: unknown, second?: unknown) => (record(first, second), { canceled: answer.canceled, filePath: answer.path ?? '' }),
    showOpenDialog: async (first: unknown, second?: unknown) => (record(first, second), { canceled: answer.canceled, filePaths: answer.path ? [answer.path] : [] }),
  } as unknown as Pick<Dialog, 'showSaveDialog' | 'showOpenDialog'>;
  return { dialog, asked };
}

describe('the desktop file dialogs for backups', () => {
  it('suggests the backup file name in the Downloads folder, attached to the window, and returns the chosen path', async () => {
    const window = {} as BrowserWindow;
    const { dialog, asked } = fakeDialog({ canceled: false, path: '/home/me/b.tar.gz' });
    expect(await fileDialogs(dialog, () => window, '/home/me/Downloads').saveAs('c-s1.tar.gz')).toBe('/home/me/b.tar.gz');
    expect(asked).toEqual([{ parent: window, options: expect.objectContaining({ defaultPath: '/home/me/Downloads/c-s1.tar.gz' }) }]);
  });

  it('returns null when the user cancels, and opens one file without a window too', async () => {
    const cancelled = fakeDialog({ canceled: true });
    expect(await fileDialogs(cancelled.dialog, () => undefined).saveAs('x.tar.gz')).toBeNull();
    expect(await fileDialogs(cancelled.dialog, () => undefined).openBackup()).toBeNull();
    const chosen = fakeDialog({ canceled: false, path: '/tmp/b.tar.gz' });
    expect(await fileDialogs(chosen.dialog, () => undefined).openBackup()).toBe('/tmp/b.tar.gz');
    expect(chosen.asked[0]).toMatchObject({ parent: undefined, options: { properties: ['openFile'] } });
  });
});
