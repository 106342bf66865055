import { contextBridge, ipcRenderer } from 'electron';
import { contract, IPC_CHANNEL_PREFIX, type CoiApi } from '../shared/contract';

/** Exactly the contract, as `window.coi`: no ipcRenderer, no Node. */
const api = Object.fromEntries(
  Object.keys(contract).map((name) => [name, (input: unknown) => ipcRenderer.invoke(`${IPC_CHANNEL_PREFIX}${name}`, input)]),
) as CoiApi;

contextBridge.exposeInMainWorld('coi', api);
