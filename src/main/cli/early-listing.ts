import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_HOST } from '../../shared/hosts';
import { RESTORES_DIR } from '../config/paths';
import { InstanceFullSchema } from '../incus/api-schemas';
import { asyncOperationId, peekEarlyGet, sendRequest, startEarlyPost, syncMetadata, type Answer } from '../incus/early-get';
import { execLogs, execRequest } from '../incus/instances';
import { instanceFullPath } from '../incus/request-target';
import { DiffCache } from '../snapshots/diff/cache';
import { currentListingArgs, currentScope, excludedPaths, hashesKey, listingCommand } from '../snapshots/diff/listing-request';
import { interrupt } from './command-process';
import { commandConfigDir, localProject, localTarget, type EarlyDiff, type LocalTarget } from './early-requests';

/**
 * Sends the listing exec of a local `snapshot diff SNAP -c NAME` (the container against one of its
 * snapshots) before the CLI loads its modules: the container lists itself (~150 ms for 20,000 files)
 * while they load (~100 ms), instead of after. It waits for the container's early answer (main.ts
 * asked for it), then sends exactly the exec the diff will ask for — the same listing arguments,
 * from the same kept hashes' first line — and the Incus client takes its answer when the diff sends
 * that request (early-get.ts: matched by method, target and body). Sent only when the diff will
 * surely make it: the container is running and has that snapshot, and no interrupted restore is
 * to be finished first. One nobody takes (the diff ended another way, or asked for other
 * arguments) is waited for and its output logs removed before the command ends. Never fails: the
 * diff then sends its own.
 */
export async function startEarlyListing(diff: EarlyDiff, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = commandConfigDir(env);
  if ((await readdir(join(dir, RESTORES_DIR)).catch(() => [] as string[])).some((name) => name.endsWith('.json'))) return;
  const project = localProject(dir);
  const local = localTarget(env, project);
  const early = peekEarlyGet(local.socket, local.target(instanceFullPath(diff.container)));
  if (!early) return;
  const interrupted = new Promise<undefined>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
  const answer = await Promise.race([early.answer.catch(() => undefined), interrupted]);
  const instance = answer && InstanceFullSchema.safeParse(syncMetadata(answer)).data;
  if (!instance || interrupt.signal.aborted || instance.status !== 'Running' || !instance.snapshots.some((snapshot) => snapshot.name === diff.snapshot)) return;
  const cache = new DiffCache(join(dir, 'cache', 'diff'));
  const previous = await cache.readHashes(hashesKey({ host: LOCAL_HOST.name, project: project ?? 'default', container: diff.container }, instance));
  const args = currentListingArgs(instance, currentScope([], excludedPaths(diff.allPaths)), previous);
  const { path, body } = execRequest(diff.container, listingCommand(args));
  // written before the CLI loads its modules, which holds the event loop (~100 ms): the connection would open only after
  await startEarlyPost(local.socket, local.target(path), body, local.timeoutMs, (sent) => removeOutput(local, sent)).written;
}

/** Waits for an exec nobody took and removes its output logs, as the diff would have; a leftover log is harmless, so this never fails. */
async function removeOutput(local: LocalTarget, sent: Promise<Answer>): Promise<void> {
  try {
    const id = asyncOperationId(await sent);
    if (id === undefined) return;
    const waited = await sendRequest(local.socket, 'GET', local.target(`/1.0/operations/${encodeURIComponent(id)}/wait?timeout=30`), undefined, local.timeoutMs + 30_000).answer;
    const operation = syncMetadata(waited) as { metadata?: unknown } | undefined;
    await Promise.all(Object.values(execLogs(operation?.metadata)).map((log) => sendRequest(local.socket, 'DELETE', local.target(log), undefined, local.timeoutMs).answer));
  } catch {
    // the log stays in the daemon's exec-output folder
  }
}
