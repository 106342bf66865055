import { createCoiApi } from '../../src/shared/coi-api';
import type { CallName } from '../../src/shared/contract';
import type { ErrorInfo } from '../../src/shared/errors';

/** An answer that is a failure of the call, with the core's error code and message. */
export class Failure {
  constructor(readonly error: ErrorInfo) {}
}

/**
 * A recording `window.coi` for component tests: it answers from `answers` and notes every call.
 * (End-to-end tests use the real one, over web mode, against the real daemon.)
 */
export function installFakeCoi(answers: Partial<Record<CallName, unknown>> = {}) {
  const calls: { name: CallName; input: unknown }[] = [];
  const api = createCoiApi(
    async (name, input) => {
      calls.push({ name, input });
      const answer = answers[name];
      if (answer instanceof Failure) return { ok: false, error: answer.error };
      return name in answers ? { ok: true, value: answer } : { ok: false, error: { code: 'internal', message: `no answer for ${name}` } };
    },
    () => () => undefined,
  );
  Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
  return calls;
}
