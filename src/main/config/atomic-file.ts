import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes `text` to `path` so that a reader sees the old file or the new one, never half of either:
 * a temporary file beside it (`<name>.<pid>.<random>.tmp`), flushed to disk, then renamed over it.
 * Mode 0600: only the user reads it. `sync: false` skips the flush, for a cache whose reader checks
 * what it reads (after a power cut the file may then be empty or cut short, never another's).
 */
export async function writeFileAtomic(path: string, text: string | Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    if (options.sync !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A writer's temporary file left behind is removed once it is this old, even if its pid is in use again. */
export const STALE_TEMPORARY_MS = 10_000;

/** How `writeFileAtomic` names its temporary files: `<name>.<pid>.<8 hex>.tmp`. */
const TEMPORARY = /^.+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temporary files `writeFileAtomic` left in `dir` when its process was killed mid-write
 * (`kill -9`, a power cut): only files named as it names them, and only those whose writer is gone
 * or that are older than `STALE_TEMPORARY_MS`. Returns the names it removed.
 */
export async function removeStaleTemporaries(dir: string, now = Date.now()): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (!pid) continue;
    const file = join(dir, name);
    const modified = await stat(file).then((info) => info.mtimeMs, () => undefined);
    if (modified === undefined) continue; // its writer renamed or removed it meanwhile
    if (processAlive(Number(pid)) && now - modified < STALE_TEMPORARY_MS) continue;
    await rm(file, { force: true });
    removed.push(name);
  }
  return removed;
}

/** Whether a process with this id exists (one we may not signal still exists). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
