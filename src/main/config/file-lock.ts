import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';
import { AppError } from '../errors';

/** A lock left by a process that died is taken over once it has not been refreshed for this long. */
const STALE_MS = 10_000;
/** Retries with backoff for about 25 s: longer than `STALE_MS`, so a dead holder's lock is recovered. */
const RETRIES = { retries: 100, factor: 1.3, minTimeout: 10, maxTimeout: 250, randomize: true };

/**
 * Runs `work` while holding the inter-process lock of `path` (a `<path>.lock` directory, so it works
 * before the file exists), so that every process's read-modify-write of the file happens one at a time.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lockfilePath = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let compromised: Error | undefined;
  const release = await lock(path, { realpath: false, lockfilePath, stale: STALE_MS, retries: RETRIES, onCompromised: (error) => (compromised = error) }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new AppError('internal', `another COI Desktop process has held ${lockfilePath} for too long; if no coi-desktop command or COI Desktop window is running, delete that folder and try again`);
  });
  try {
    const result = await work();
    if (compromised) throw new AppError('internal', `the lock on ${path} was lost while writing it (${compromised.message}); check the file and try again`);
    return result;
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * Takes the inter-process lock of `path` (`<path>.lock`, like `withFileLock`) for as long as the caller
 * works, waiting up to `waitMs` for it; undefined when another live process holds it. A lock left by a
 * process that died is taken over once it has not been refreshed for `staleMs` (at least 2 s; the
 * holder refreshes it every `staleMs / 2`). A lock lost meanwhile (its folder removed by hand, the
 * process frozen longer than `staleMs`) is not fatal: the work goes on unguarded.
 */
export async function tryFileLock(path: string, { staleMs = STALE_MS, waitMs = 0 } = {}): Promise<(() => Promise<void>) | undefined> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const retries = { retries: Math.ceil(waitMs / 200), factor: 1, minTimeout: 200, maxTimeout: 200 };
  try {
    const release = await lock(path, { realpath: false, lockfilePath: `${path}.lock`, stale: staleMs, retries, onCompromised: () => undefined });
    return () => release().catch(() => undefined);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw error;
  }
}
