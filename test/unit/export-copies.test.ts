import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyJournal } from '../../src/main/backups/export-copies';

/** The pid of a process that has ended. */
function endedPid(): number {
  const run = spawnSync(process.execPath, ['-e', '0']);
  return run.pid;
}

describe('the journal of temporary export copies', () => {
  it("names as leftovers the copies of ended processes on this host only, never a running export's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coi-copies-'));
    const entry = (copy: string, host: string, pid: number, machine = hostname()) =>
      writeFileSync(join(dir, `${copy}.json`), JSON.stringify({ host, copy, pid, machine, startedAt: new Date().toISOString() }));
    entry('coi-export-a-00000001', 'box', endedPid());
    entry('coi-export-b-00000002', 'other', endedPid());
    entry('coi-export-c-00000003', 'box', process.ppid); // a live process (the test runner's parent)
    entry('coi-export-d-00000004', 'box', endedPid(), 'another-computer');
    writeFileSync(join(dir, 'coi-export-e-00000005.json'), '{"half'); // being written
    const journal = new CopyJournal(dir, 'box');
    expect(await journal.leftovers()).toEqual(['coi-export-a-00000001']);

    // This process: a copy in use is not a leftover; once its export has ended without removing it, it is.
    await journal.record('coi-export-f-00000006');
    expect(await journal.leftovers()).toEqual(['coi-export-a-00000001']);
    journal.release('coi-export-f-00000006');
    expect((await journal.leftovers()).sort()).toEqual(['coi-export-a-00000001', 'coi-export-f-00000006']);
    await journal.forget('coi-export-a-00000001');
    await journal.forget('coi-export-f-00000006');
    expect(await journal.leftovers()).toEqual([]);
  });
});
