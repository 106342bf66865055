import { hostname } from 'node:os';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { processAlive, removeStaleTemporaries, writeFileAtomic } from '../config/atomic-file';

/** Where the journal lives in the config directory: one file per temporary copy not yet removed. */
export const EXPORT_COPIES_DIR = 'export-copies';

const EntrySchema = z.object({
  host: z.string(),
  copy: z.string(),
  pid: z.number().int(),
  machine: z.string(),
  startedAt: z.string(),
});
export type CopyEntry = z.infer<typeof EntrySchema>;

/** The copies this process's exports are making or removing now (never a leftover). */
const inUse = new Set<string>();

/**
 * The temporary containers (`coi-export-…`) that exports on this computer made on one host and have
 * not removed yet. An export records its copy *before* asking Incus for it and forgets it only once it
 * is gone, so a process killed at any moment (`kill -9`, a power cut, a request that timed out while
 * Incus went on copying) leaves an entry behind: the next export or import on that host removes the
 * copies whose process has ended (`leftovers`). One file per copy, so concurrent processes never
 * write the same file.
 */
export class CopyJournal {
  constructor(
    private readonly dir: string,
    readonly host: string,
    private readonly self = { pid: process.pid, machine: hostname() },
  ) {}

  /** For the copy named `copy` (unique: it ends in random hex), about to be made by this process. */
  async record(copy: string): Promise<void> {
    const entry: CopyEntry = { host: this.host, copy, pid: this.self.pid, machine: this.self.machine, startedAt: new Date().toISOString() };
    inUse.add(copy);
    await writeFileAtomic(this.file(copy), JSON.stringify(entry) + '\n');
  }

  /** The export of `copy` has ended without knowing it gone: a leftover now, even for this process. */
  release(copy: string): void {
    inUse.delete(copy);
  }

  /** The copy is gone from the host: nothing left to clean up. */
  async forget(copy: string): Promise<void> {
    await rm(this.file(copy), { force: true });
    inUse.delete(copy);
  }

  /**
   * The copies on this host whose export has ended without removing them: recorded on this computer
   * by a process that no longer runs, or by this one in an export that has ended. A copy of a running
   * export is not one. A pid used again by another process only delays the clean-up until that one
   * ends: a copy is never removed under a running export.
   */
  async leftovers(): Promise<string[]> {
    await removeStaleTemporaries(this.dir); // an entry's write killed half-way
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: string[] = [];
    for (const name of names.filter((file) => file.endsWith('.json'))) {
      const entry = await readFile(join(this.dir, name), 'utf8')
        .then((text) => EntrySchema.safeParse(JSON.parse(text)))
        .catch(() => undefined);
      if (!entry?.success) continue; // removed meanwhile, or not an entry: left alone
      const { host, copy, pid, machine } = entry.data;
      if (host !== this.host || machine !== this.self.machine) continue;
      if (pid === this.self.pid ? !inUse.has(copy) : !processAlive(pid)) found.push(copy);
    }
    return found;
  }

  private file(copy: string): string {
    return join(this.dir, `${copy}.json`);
  }
}
