import { createCoiApi, type CallName } from '../../src/shared/contract';

/**
 * A recording `window.coi` for component tests: it answers from `answers` and notes every call.
 * (End-to-end tests use the real one, over web mode, against the real daemon.)
 */
export function installFakeCoi(answers: Partial<Record<CallName, unknown>> = {}) {
  const calls: { name: CallName; input: unknown }[] = [];
  const api = createCoiApi(
    async (name, input) => {
      calls.push({ name, input });
      return name in answers ? { ok: true, value: answers[name] } : { ok: false, error: { code: 'internal', message: `no answer for ${name}` } };
    },
    () => () => undefined,
  );
  Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
  return calls;
}
