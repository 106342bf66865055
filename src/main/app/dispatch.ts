import { contract, type CallName, type CallOutput, type CallResult, type ParsedInput } from '../../shared/contract';
import { AppError, parseInput, toErrorInfo } from '../errors';

export type Handlers = { [N in CallName]: (input: ParsedInput<N>) => Promise<CallOutput<N>> };

const isCallName = (name: string): name is CallName => Object.hasOwn(contract, name);

/**
 * One call from an untrusted page (Electron renderer or web mode): the name must be the contract's,
 * the payload is validated before anything runs, and the result is validated before it leaves.
 * Failures become data with the real reason.
 */
export async function dispatch(handlers: Handlers, name: string, payload: unknown): Promise<CallResult<CallName>> {
  let host: string | undefined;
  try {
    if (!isCallName(name)) throw new AppError('invalid-input', `there is no call named '${name.slice(0, 80)}'`);
    const input: unknown = parseInput(contract[name].input, payload, `${name} request`);
    if (typeof (input as { host?: unknown }).host === 'string') host = (input as { host: string }).host;
    const run = handlers[name] as (input: unknown) => Promise<unknown>;
    const value = contract[name].output.parse(await run(input));
    return { ok: true, value } as CallResult<CallName>;
  } catch (error) {
    const info = toErrorInfo(error);
    return { ok: false, error: host && !info.host ? { ...info, host } : info };
  }
}
