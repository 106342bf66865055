import { afterAll, describe, expect, it, vi } from 'vitest';
import { createCoiApi, type CallName, type CoiEvent, type CoiListener } from '../../src/shared/contract';

describe('live updates in the renderer', () => {
  afterAll(() => vi.useRealTimers());

  it('polls a host while its event stream is unavailable, and stops once it is restored', async () => {
    vi.useFakeTimers();
    const listeners: CoiListener[] = [];
    const reads: string[] = [];
    const local = { config: { name: 'local', kind: 'local' }, status: { state: 'online', latencyMs: 1 } };
    const answers: Partial<Record<CallName, unknown>> = { 'hosts.list': [local], 'containers.overview': [], 'containers.list': [] };
    const api = createCoiApi(
      async (name, input) => {
        if (name === 'containers.list') reads.push((input as { host: string }).host);
        return { ok: true, value: answers[name] ?? null };
      },
      (listener) => (listeners.push(listener), () => undefined),
    );
    Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
    const { app } = await import('../../src/renderer/src/lib/app-state.svelte');
    app.start();
    await vi.advanceTimersByTimeAsync(0); // the first load
    const send = (event: CoiEvent) => listeners.forEach((listener) => listener(event));

    send({ type: 'events-unavailable', host: 'local', reason: 'the event stream of /var/lib/incus/unix.socket ended (code 1006)' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toEqual(['local', 'local']); // every 5 s

    send({ type: 'events-restored', host: 'local' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toHaveLength(3); // one read for what changed while the stream was down
    await vi.advanceTimersByTimeAsync(30_000);
    expect(reads).toHaveLength(3); // and no more polling
  });
});
