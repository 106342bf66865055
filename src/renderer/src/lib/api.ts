import type { CallInput, CallName, CallOutput, CallResult } from '../../../shared/contract';
import type { ErrorInfo } from '../../../shared/errors';

/** A failed call, carrying the core's error (code, message with the daemon's words). */
export class CallError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

/** Calls `window.coi[name]`; resolves with the value or throws a CallError with the real reason. */
export async function call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
  // The call table is indexed by a generic name, which TypeScript cannot narrow: one cast, checked by the contract.
  const invoke = window.coi[name] as unknown as (input: CallInput<N>) => Promise<CallResult<N>>;
  const result = await invoke(input);
  if (!result.ok) throw new CallError(result.error);
  return result.value as CallOutput<N>;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
