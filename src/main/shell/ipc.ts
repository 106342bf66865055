import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { CALL_NAMES, IPC_CHANNEL_PREFIX, IPC_EVENT_CHANNEL, type CallName, type CallResult, type CoiEvent } from '../../shared/contract';
import { dispatch, type Handlers } from '../app/dispatch';

const REFUSED: CallResult<CallName> = { ok: false, error: { code: 'invalid-input', message: 'call refused: it did not come from the app window' } };

/**
 * One IPC handler per contract call. The renderer is untrusted: calls from any other frame are
 * refused, payloads and results are validated by `dispatch`. Returns a function that unregisters.
 */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, handlers: Handlers, isAppFrame: (event: IpcMainInvokeEvent) => boolean): () => void {
  for (const name of CALL_NAMES) {
    ipcMain.handle(`${IPC_CHANNEL_PREFIX}${name}`, (event, payload: unknown) => (isAppFrame(event) ? dispatch(handlers, name, payload) : REFUSED));
  }
  return () => CALL_NAMES.forEach((name) => ipcMain.removeHandler(`${IPC_CHANNEL_PREFIX}${name}`));
}

/** Sends every core event to the window; returns a function that stops. */
export function forwardEvents(events: NodeJS.EventEmitter, send: (channel: string, event: CoiEvent) => void): () => void {
  const listener = (event: CoiEvent) => send(IPC_EVENT_CHANNEL, event);
  events.on('event', listener);
  return () => void events.off('event', listener);
}

/** Whether `url` is a page of the app itself: its own file, or the dev server it was started with. */
export function isAppUrl(url: string | undefined, appUrl: string): boolean {
  if (!url) return false;
  try {
    const page = new URL(url);
    const app = new URL(appUrl);
    return page.protocol === 'file:' ? app.protocol === 'file:' && page.pathname === app.pathname : page.origin === app.origin;
  } catch {
    return false;
  }
}
