import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcMainInvokeEvent } from 'electron';
import type { CoiApi } from '../../src/shared/contract';
import { CoiCore } from '../../src/main/app/core';
import { forwardEvents, registerIpc } from '../../src/main/shell/ipc';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { exposeCoi } from '../../src/preload/bridge';
import { createWebApi } from '../../src/renderer/src/web-api';
import { tempHome } from './hosts';

/**
 * A fake of the few Electron IPC pieces the preload and the shell use: `ipcMain.handle` and
 * `ipcRenderer.invoke/on` joined in memory, `contextBridge.exposeInMainWorld` into an object.
 */
export function fakeElectronIpc(frameUrl = 'file:///app/out/renderer/index.html') {
  const handlers = new Map<string, (event: IpcMainInvokeEvent, payload: unknown) => unknown>();
  const toRenderer = new EventEmitter();
  const sender = {};
  const ipcMain = {
    handle: (channel: string, handler: (event: IpcMainInvokeEvent, payload: unknown) => unknown) => void handlers.set(channel, handler),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const ipcRenderer = {
    invoke: async (channel: string, payload: unknown) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
      // Electron clones payloads across processes: functions and prototypes do not survive.
      return structuredClone(await handler({ sender, senderFrame: { url: frameUrl } } as unknown as IpcMainInvokeEvent, structuredClone(payload)));
    },
    on: (channel: string, listener: (event: unknown, payload: unknown) => void) => toRenderer.on(channel, listener),
    removeListener: (channel: string, listener: (event: unknown, payload: unknown) => void) => toRenderer.off(channel, listener),
  };
  const world: Record<string, unknown> = {};
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => void (world[key] = api) };
  const send = (channel: string, payload: unknown) => toRenderer.emit(channel, {}, structuredClone(payload));
  return { ipcMain, ipcRenderer, contextBridge, world, sender, send, handlers };
}

export interface Face {
  name: 'preload' | 'web';
  api: CoiApi;
  close(): Promise<void>;
}

/**
 * A core on a config directory of its own, with HOME pointing at a temporary user. With `project`, its
 * `local` host ("This machine") shows only that Incus project: the screens list only what the test made.
 */
export async function openCore(project?: string): Promise<{ core: CoiCore; home: ReturnType<typeof tempHome> }> {
  const home = tempHome();
  const core = await CoiCore.open({ configDir: home.configDir, home: home.home, env: { ...process.env, SSH_AUTH_SOCK: '' }, platform: 'linux' });
  if (project) await core.registry.add({ kind: 'local', name: 'local', displayName: 'This machine', project });
  return { core, home };
}

/** `window.coi` as the Electron renderer gets it: preload bridge → IPC → shell glue → core. */
export function preloadFace(core: CoiCore): Face {
  const electron = fakeElectronIpc();
  const unregister = registerIpc(electron.ipcMain, core.handlers, (event) => event.sender === electron.sender);
  const stop = forwardEvents(core.events, electron.send);
  exposeCoi(electron.contextBridge, electron.ipcRenderer);
  return {
    name: 'preload',
    api: electron.world.coi as CoiApi,
    close: async () => {
      stop();
      unregister();
    },
  };
}

/** `window.coi` as a browser tab gets it in web mode: HTTP adapter → web server → core. */
export async function webFace(core: CoiCore): Promise<Face & { server: WebServer }> {
  const rendererDir = mkdtempSync(join(tmpdir(), 'coi-renderer-'));
  const server = await startWebServer({ handlers: core.handlers, events: core.events, backups: core.transfers, rendererDir });
  return { name: 'web', api: createWebApi(server.token, server.url.replace(/\/$/, '')), server, close: () => server.close() };
}
