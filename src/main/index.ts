import { join } from 'node:path';
import { app, BrowserWindow, dialog, globalShortcut, ipcMain, Menu, nativeImage, Notification, screen, session, shell, Tray } from 'electron';
import { CoiCore } from './app/core';
import { readSettings, writeSettings, type Settings } from './config/settings';
import { fileDialogs } from './shell/file-dialogs';
import { guardAllWebContents, hardenSession, rendererUrl } from './shell/hardening';
import { forwardEvents, isAppUrl, registerIpc } from './shell/ipc';
import { TrayController } from './shell/tray-controller';
import { TRAY_ICON_DATA_URL } from './shell/tray-icon';
import type { TrayItem } from './shell/tray-menu';
import { mainWindowOptions } from './shell/window-options';
import { restorableBounds } from './shell/window-state';

/** The thin Electron shell: window, tray, shortcut and IPC over the electron-free core. */
const appUrl = rendererUrl(app.isPackaged, process.env, join(__dirname, '../renderer/index.html'));
let window: BrowserWindow | undefined;
let settings: Settings;

function createWindow(core: CoiCore): BrowserWindow {
  const workAreas = screen.getAllDisplays().map((display) => display.workArea);
  const created = new BrowserWindow(mainWindowOptions(join(__dirname, '../preload/index.js'), restorableBounds(settings.window, workAreas)));
  if (settings.window?.maximized) created.maximize();
  created.once('ready-to-show', () => created.show());
  const stopEvents = forwardEvents(core.events, (channel, event) => created.webContents.send(channel, event));
  created.on('close', () => {
    settings = { ...settings, window: { ...created.getNormalBounds(), maximized: created.isMaximized() } };
    void writeSettings(core.configDir, settings);
  });
  created.on('closed', () => {
    stopEvents();
    core.passphrases.cancelAll();
    window = undefined;
  });
  void created.loadURL(appUrl);
  return created;
}

function showWindow(core: CoiCore): void {
  window ??= createWindow(core);
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

function toMenu(items: TrayItem[], onAction: (action: NonNullable<TrayItem['action']>) => void): Electron.MenuItemConstructorOptions[] {
  return items.map((item) => ({
    label: item.label,
    type: item.type,
    enabled: item.enabled,
    submenu: item.submenu ? toMenu(item.submenu, onAction) : undefined,
    click: item.action ? () => onAction(item.action!) : undefined,
  }));
}

function startTray(core: CoiCore): TrayController {
  const icon = nativeImage.createFromDataURL(TRAY_ICON_DATA_URL);
  icon.setTemplateImage(true);
  const tray = new Tray(icon);
  tray.setToolTip('COI Desktop');
  const controller = new TrayController(core, {
    setMenu: (items, onAction) => tray.setContextMenu(Menu.buildFromTemplate(toMenu(items, onAction))),
    notify: (notice) => new Notification({ title: notice.title, body: notice.body }).show(),
    openWindow: () => showWindow(core),
    quit: () => app.quit(),
    used: (target) => {
      settings = { ...settings, lastUsed: target };
      void writeSettings(core.configDir, settings);
    },
  });
  void controller.refresh();
  return controller;
}

function registerShortcut(tray: TrayController): void {
  const accelerator = settings.quickSnapshotShortcut;
  if (!accelerator) return;
  const registered = globalShortcut.register(accelerator, () => {
    if (settings.lastUsed) void tray.snapshot(settings.lastUsed);
    else new Notification({ title: 'No container yet', body: 'Take one quick snapshot from the tray menu first; the shortcut then repeats it.' }).show();
  });
  if (!registered) console.warn(`COI Desktop: the shortcut ${accelerator} is taken by another application; change quickSnapshotShortcut in settings.json`);
}

async function start(): Promise<void> {
  const files = fileDialogs(dialog, () => window, app.getPath('downloads'));
  const core = await CoiCore.open({ configDir: app.getPath('userData'), home: app.getPath('home'), env: process.env, platform: process.platform, files });
  settings = await readSettings(core.configDir);
  hardenSession(session.defaultSession, appUrl);
  registerIpc(ipcMain, core.handlers, (event) => event.sender === window?.webContents && isAppUrl(event.senderFrame?.url, appUrl));
  const tray = startTray(core);
  registerShortcut(tray);
  app.on('second-instance', () => showWindow(core));
  app.on('activate', () => showWindow(core));
  app.on('will-quit', () => {
    globalShortcut.unregisterAll();
    tray.dispose();
    void core.close();
  });
  showWindow(core);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  guardAllWebContents(app, (url) => shell.openExternal(url));
  // The tray keeps the app running when the window is closed.
  app.on('window-all-closed', () => undefined);
  void app.whenReady().then(start);
}
