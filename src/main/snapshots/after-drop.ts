import { listOperations } from '../app/operations';
import type { InstanceSnapshot } from '../incus/api-schemas';
import type { IncusClient } from '../incus/client';
import { IncusOperationError, IncusUnreachableError } from '../incus/errors';
import * as api from '../incus/instances';

/** How long the outcome of an interrupted request is looked for while the host comes back. */
const LOOKUP_MS = 15_000;

/**
 * Whether a failed request may have been carried out all the same: the connection dropped (or the
 * daemon fell silent) after it was sent, or its operation vanished before its result was read.
 */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof IncusUnreachableError || (error instanceof IncusOperationError && error.outcome === 'lost');
}

/**
 * Snapshot `name` of `container` as the daemon has it after an interrupted request: once any
 * operation still running on the container has ended. Null when it does not exist; undefined when
 * the host could not be asked again within `withinMs` (reconnecting as often as the backoff allows).
 */
export async function snapshotAfterDrop(client: IncusClient, container: string, name: string, withinMs = LOOKUP_MS): Promise<InstanceSnapshot | null | undefined> {
  return afterRunningOperations(client, container, async () => (await api.getInstance(client, container)).snapshots.find((snapshot) => snapshot.name === name) ?? null, withinMs);
}

/**
 * What `read` finds once every operation still running on `container` has ended (the request that
 * was interrupted may have started one); undefined when the host could not be asked again within
 * `withinMs` (reconnecting as often as the backoff allows).
 */
export async function afterRunningOperations<T>(client: IncusClient, container: string, read: () => Promise<T>, withinMs = LOOKUP_MS): Promise<T | undefined> {
  const deadline = Date.now() + withinMs;
  for (let pause = 250; ; pause = Math.min(pause * 2, 2_000)) {
    try {
      await runningOperationsEnded(client, container);
      return await read();
    } catch (error) {
      if (!(error instanceof IncusUnreachableError) || Date.now() + pause > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Waits for every operation still running on `container` (a create or delete that did get through, an abandoned exec). */
export async function runningOperationsEnded(client: IncusClient, container: string): Promise<void> {
  const running = await runningOn(client, container);
  await Promise.all(running.map((operation) => client.waitOperation(operation.id).catch((error: unknown) => {
    if (error instanceof IncusUnreachableError) throw error;
  })));
}

/**
 * Waits for the snapshots Incus is taking of `container` (it freezes a running one meanwhile),
 * whatever their outcome, or until `signal` aborts: they are not the caller's, so they are never
 * cancelled (a wait that is interrupted asks Incus to cancel its operation).
 */
export async function snapshotsEnded(client: IncusClient, container: string, signal?: AbortSignal): Promise<void> {
  const running = await runningOn(client, container, /snapshot/i);
  const ended = Promise.all(running.map((operation) => client.waitOperation(operation.id, { detached: true }).catch(() => undefined)));
  if (!signal) return void (await ended);
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    void ended.then(() => resolve());
  });
}

/** The operations still running on `container`, those whose description matches `described` when given. */
async function runningOn(client: IncusClient, container: string, described?: RegExp) {
  return (await listOperations(client)).filter((operation) => operation.status === 'Running' && operation.instances.includes(container) && (!described || described.test(operation.description)));
}
