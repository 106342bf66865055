import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/incus';

const entry = (outcome: string) => runProcess(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fixtures', 'cli-entry.ts'), outcome]);

describe('the CLI process exit code', () => {
  it('is 1 with a message when the command never finished (nothing left to wait for)', async () => {
    const run = await entry('never');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: the command ended before it finished/);
  });

  it("is the command's own code when it finished", async () => {
    expect(await entry('0')).toMatchObject({ code: 0, stderr: '' });
    expect(await entry('1')).toMatchObject({ code: 1, stderr: '' });
  });

  it("ends a process still busy after its command ended, saying so, with the command's code", async () => {
    const run = await entry('lingering');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Warning: coi-desktop was still busy 0.2 s after the command ended (something it started was left running) and quit without waiting for it; what the command reported stands\n');
  });
});
