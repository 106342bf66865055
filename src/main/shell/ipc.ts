import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { contract, IPC_CHANNEL_PREFIX, type CallName, type CallResult } from '../../shared/contract';
import { AppError, toErrorInfo } from '../errors';

export type Handlers = { [N in CallName]: (input: unknown) => Promise<unknown> };

/** One handler per contract call; payloads from the renderer and results to it are both validated. */
export function registerIpc(ipcMain: Pick<IpcMain, 'handle'>, handlers: Handlers, isOwnFrame: (event: IpcMainInvokeEvent) => boolean): void {
  for (const name of Object.keys(contract) as CallName[]) {
    ipcMain.handle(`${IPC_CHANNEL_PREFIX}${name}`, async (event, payload: unknown): Promise<CallResult<CallName>> => {
      try {
        if (!isOwnFrame(event)) throw new AppError('invalid-input', 'call refused: it did not come from the app window');
        const input = contract[name].input.safeParse(payload);
        if (!input.success) throw new AppError('invalid-input', `invalid ${name} request: ${input.error.issues[0]?.message ?? ''}`);
        const value = contract[name].output.parse(await handlers[name](input.data));
        return { ok: true, value };
      } catch (error) {
        return { ok: false, error: toErrorInfo(error) };
      }
    });
  }
}
