import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { IncusClient } from './incus/client';
import { createLocalDispatcher, findLocalSocket } from './incus/local-socket';
import { coiPrefix } from './snapshots/coi-naming';
import { SnapshotService } from './snapshots/service';
import { registerIpc } from './shell/ipc';
import { CONTENT_SECURITY_POLICY, mainWindowOptions } from './shell/window-options';

const socket = findLocalSocket();
const service = new SnapshotService(new IncusClient({ dispatcher: createLocalDispatcher(socket), endpoint: socket }), {
  coiPrefix: coiPrefix(),
});

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(join(__dirname, '../preload/index.js')));
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void window.loadFile(join(__dirname, '../renderer/index.html'));
  return window;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let window: BrowserWindow | undefined;
  app.on('second-instance', () => window?.focus());
  void app.whenReady().then(() => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    registerIpc(ipcMain, { 'containers.list': () => service.listContainers() }, (event) => event.sender === window?.webContents);
    window = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
