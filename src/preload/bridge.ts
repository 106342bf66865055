import { createCoiApi } from '../shared/coi-api';
import { IPC_CHANNEL_PREFIX, IPC_EVENT_CHANNEL, type CoiEvent } from '../shared/contract';

/** The part of Electron's `ipcRenderer` the bridge uses. */
export interface RendererIpc {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

/** The part of Electron's `contextBridge` the bridge uses. */
export interface MainWorldBridge {
  exposeInMainWorld(key: string, api: unknown): void;
}

/** Exposes exactly the contract as `window.coi`, generated from the contract table: no ipcRenderer, no Node. */
export function exposeCoi(bridge: MainWorldBridge, ipc: RendererIpc): void {
  const api = createCoiApi(
    (name, input) => ipc.invoke(`${IPC_CHANNEL_PREFIX}${name}`, input),
    (listener) => {
      const forward = (_event: unknown, payload: unknown) => listener(payload as CoiEvent);
      ipc.on(IPC_EVENT_CHANNEL, forward);
      return () => void ipc.removeListener(IPC_EVENT_CHANNEL, forward);
    },
  );
  bridge.exposeInMainWorld('coi', api);
}
