import { afterAll, describe, expect, it, vi } from 'vitest';
import { createCoiApi } from '../../src/shared/coi-api';
import type { CallName, CoiEvent, CoiListener } from '../../src/shared/contract';

type Answer = (name: CallName, input: unknown) => unknown;

/**
 * The renderer's app state over a fake `window.coi` whose calls `answer`, started and past its first
 * load; `send` pushes an event as main would.
 */
async function startApp(answer: Answer): Promise<(event: CoiEvent) => void> {
  const listeners: CoiListener[] = [];
  const api = createCoiApi(
    async (name, input) => ({ ok: true, value: answer(name, input) ?? null }),
    (listener) => (listeners.push(listener), () => undefined),
  );
  Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
  const { app } = await import('../../src/renderer/src/lib/app-state.svelte');
  app.start();
  await vi.advanceTimersByTimeAsync(0); // the first load
  return (event: CoiEvent) => listeners.forEach((listener) => listener(event));
}

describe('live updates in the renderer', () => {
  afterAll(() => vi.useRealTimers());

  it('polls a host while its event stream is unavailable, and stops once it is restored', async () => {
    vi.useFakeTimers();
    const reads: string[] = [];
    const local = { config: { name: 'local', kind: 'local' }, status: { state: 'online', latencyMs: 1 } };
    const answers: Partial<Record<CallName, unknown>> = { 'hosts.list': [local], 'containers.overview': [], 'containers.list': [] };
    const send = await startApp((name, input) => {
      if (name === 'containers.list') reads.push((input as { host: string }).host);
      return answers[name];
    });

    send({ type: 'events-unavailable', host: 'local', reason: 'the event stream of /var/lib/incus/unix.socket ended (code 1006)' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toEqual(['local', 'local']); // every 5 s

    send({ type: 'events-restored', host: 'local' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toHaveLength(3); // one read for what changed while the stream was down
    await vi.advanceTimersByTimeAsync(30_000);
    expect(reads).toHaveLength(3); // and no more polling
  });

  it('reads only the container a lifecycle event names, once per burst; an instance created or deleted reads the host', async () => {
    vi.useFakeTimers();
    vi.resetModules();
    const reads: string[] = [];
    const local = { config: { name: 'local', kind: 'local' }, status: { state: 'online', latencyMs: 1 } };
    const c1 = { name: 'coi-c1', status: 'Stopped', coi: true, snapshots: [] };
    const answers: Partial<Record<CallName, unknown>> = { 'hosts.list': [local], 'containers.overview': [], 'containers.list': [] };
    const send = await startApp((name, input) => {
      if (name === 'containers.list') reads.push(`list ${(input as { host: string }).host}`);
      if (name === 'containers.get') reads.push(`get ${(input as { container: string }).container}`);
      return name === 'containers.get' ? c1 : answers[name];
    });
    const lifecycle = (action: string, container: string) =>
      send({ type: 'lifecycle', host: 'local', action, source: `/1.0/instances/${container}/snapshots/s1`, container });

    lifecycle('instance-snapshot-created', 'coi-c1');
    lifecycle('instance-snapshot-updated', 'coi-c1');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toEqual(['get coi-c1']);

    lifecycle('instance-deleted', 'coi-c2');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toEqual(['get coi-c1', 'list local']);
  });

  it('keeps an ended operation ended when Incus delivers a late Running event for it (the drawer does not count it as running)', async () => {
    vi.useFakeTimers();
    vi.resetModules();
    const local = { config: { name: 'local', kind: 'local' }, status: { state: 'online', latencyMs: 1 } };
    const answers: Partial<Record<CallName, unknown>> = { 'hosts.list': [local], 'containers.overview': [], 'containers.list': [] };
    const send = await startApp((name) => answers[name]);
    const { app } = await import('../../src/renderer/src/lib/app-state.svelte');
    const exec = { id: '6e78ad43-0000-4000-8000-000000000001', description: 'Executing command', createdAt: '2026-11-27T04:00:00Z', mayCancel: false, progress: null, percent: null, error: '', instances: ['c1'] };
    for (const status of ['Pending', 'Running', 'Success', 'Running']) send({ type: 'operation', host: 'local', operation: { ...exec, status } });
    expect(app.operations.local?.map((operation) => operation.status)).toEqual(['Success']);
  });

  it("asks for the hosts and the overview's fast phase at once, and its slow phase once the first rows are on screen: the rows do not wait for the host list to come back", async () => {
    vi.useFakeTimers();
    vi.resetModules();
    const asked: string[] = [];
    const local = { config: { name: 'local', kind: 'local' }, status: { state: 'online', latencyMs: 1 } };
    const row = { name: 'coi-c1', status: 'Stopped', coi: true, snapshots: null };
    let answerHosts: (value: unknown) => void = () => undefined;
    const listeners: CoiListener[] = [];
    const api = createCoiApi(
      async (name, input) => {
        asked.push(name === 'containers.overview' ? `${name} ${JSON.stringify(input)}` : name);
        if (name === 'hosts.list') return { ok: true, value: await new Promise((resolve) => (answerHosts = resolve)) };
        if (name === 'containers.overview') return { ok: true, value: [{ host: 'local', status: local.status, containers: [row] }] };
        return { ok: true, value: [] };
      },
      (listener) => (listeners.push(listener), () => undefined),
    );
    Object.defineProperty(window, 'coi', { value: api, configurable: true, writable: true });
    const { app } = await import('../../src/renderer/src/lib/app-state.svelte');
    app.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toEqual(['hosts.list', 'containers.overview {"snapshots":false}']);
    expect(app.loaded).toBe(false);

    answerHosts([local]);
    await vi.advanceTimersByTimeAsync(0);
    expect(app.hosts.map((host) => host.config.name)).toEqual(['local']);
    expect(app.rows.local?.containers.map((container) => container.name)).toEqual(['coi-c1']);
    expect(app.loaded).toBe(false);
    // the next frame painted (or, with no frame, 250 ms): the snapshots' tallies are asked
    await vi.advanceTimersByTimeAsync(250);
    expect(asked).toEqual(['hosts.list', 'containers.overview {"snapshots":false}', 'containers.overview {"snapshots":true}']);
    expect(app.loaded).toBe(true);
  });

  it("reads a container opened directly once: the read begun at start is the one its page opens with", async () => {
    vi.useFakeTimers();
    vi.resetModules();
    const reads: string[] = [];
    const local = { config: { name: 'local', kind: 'local' }, status: { state: 'online', latencyMs: 1 } };
    const c1 = { name: 'coi-c1', status: 'Stopped', coi: true, snapshots: [] };
    const answers: Partial<Record<CallName, unknown>> = { 'hosts.list': [local], 'containers.overview': [] };
    await startApp((name, input) => {
      if (name !== 'containers.get') return answers[name];
      reads.push((input as { container: string }).container);
      return c1;
    });
    const { app } = await import('../../src/renderer/src/lib/app-state.svelte');
    app.readFirst('local', 'coi-c1');
    expect(reads).toEqual(['coi-c1']);
    expect(await app.openContainer('local', 'coi-c1')).toBeNull();
    expect(reads).toEqual(['coi-c1']);
    expect(app.overview.local?.containers.map((container) => container.name)).toEqual(['coi-c1']);
    // Taken once: the page opened again (or another container's) reads anew.
    await app.openContainer('local', 'coi-c1');
    expect(reads).toEqual(['coi-c1', 'coi-c1']);
  });
});
