import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotService } from '../../src/main/snapshots/service';
import { cli } from '../helpers/cli';
import { Fixtures, incus, localClient, readFile, requireDaemon, testName } from '../helpers/incus';

/**
 * Incus's dir driver restores by rsync, whose quick check skips a file whose size and mtime are the
 * snapshot's: a file rewritten after the snapshot with the same size and its mtime set back (an
 * archive extracted, `cp -p`) was left as it was by the restore, which still said it was done.
 */
const fixtures = new Fixtures();
const OLD = '2020-01-01 00:00:00';
/** A name with a space and a newline, as `printf %b` spells it. */
const ODD = '/root/a b\\nc';

beforeAll(() => requireDaemon());
afterAll(() => fixtures.cleanup());

/** Writes `content` to `path` (printf %b escapes) and sets its mtime to OLD. */
async function writeOld(container: string, path: string, content: string): Promise<void> {
  await incus('exec', container, '--', 'sh', '-c', 'p=$(printf "%b_" "$1"); p=${p%_}; printf %s "$2" > "$p" && touch -d "$3" "$p"', 'sh', path, content, OLD);
}

async function readOld(container: string, path: string): Promise<string> {
  return incus('exec', container, '--', 'sh', '-c', 'p=$(printf "%b_" "$1"); p=${p%_}; cat "$p"', 'sh', path);
}

/** A running container whose files were rewritten after snapshot 's1' with the same size and mtime. */
async function rewrittenSinceSnapshot(label: string, paths: string[]): Promise<string> {
  const name = await fixtures.launch(testName(label));
  for (const path of paths) await writeOld(name, path, 'aaaa');
  await incus('snapshot', 'create', name, 's1');
  for (const path of paths) await writeOld(name, path, 'bbbb');
  return name;
}

describe('restoring a running container on a dir pool', () => {
  it('coi-desktop snapshot restore --stop puts back a file changed with its size and mtime kept', async () => {
    const name = await rewrittenSinceSnapshot('rsmtime', ['/root/f']);
    const run = await cli(['snapshot', 'restore', 's1', '-c', name, '-f', '--stop']);
    expect(run.stderr).toContain(`Restored container '${name}' from snapshot 's1'`);
    expect(run.stderr).not.toMatch(/Warning/);
    expect(run.code).toBe(0);
    expect(await readFile(name, '/root/f')).toBe('aaaa');
  });

  it('when the container cannot be listed, the restore is done all the same and says what it may have missed', async () => {
    const name = await rewrittenSinceSnapshot('rsmtime-notool', ['/root/f']);
    await incus('exec', name, '--', 'rm', '/bin/sh');
    const run = await cli(['snapshot', 'restore', 's1', '-c', name, '-f', '--stop']);
    expect(run.stderr).toContain(`Restored container '${name}' from snapshot 's1'`);
    expect(run.stderr).toMatch(/Warning: on a dir storage pool, files changed since the snapshot with their size and mtime kept may not have been restored \(looking for them failed: the container lacks a tool/);
    expect(run.code).toBe(0);
    // the snapshot's shell is back: the restore was done
    expect(await incus('exec', name, '--', 'sh', '-c', 'echo here')).toBe('here\n');
  });

  it('the service does it for names with a space and a newline; the safety snapshot keeps what was there', async () => {
    const name = await rewrittenSinceSnapshot('rsmtime-odd', ['/root/f', ODD]);
    const service = new SnapshotService(localClient(), { coiPrefix: 'coi-' });
    const result = await service.restore(name, 's1', { stopFirst: true });
    expect(result?.warning).toBeUndefined();
    expect(await readOld(name, '/root/f')).toBe('aaaa');
    expect(await readOld(name, ODD)).toBe('aaaa');
    // the safety snapshot holds what was there before: restoring it gives 'bbbb' back, the same way
    const undo = await service.restore(name, result!.safetySnapshot!, { stopFirst: true, safetySnapshot: false });
    expect(undo?.warning).toBeUndefined();
    expect(await readOld(name, ODD)).toBe('bbbb');
    // a stopped container cannot be listed: the restore says what it may have missed
    await incus('stop', '-f', name);
    const stopped = await service.restore(name, 's1', { safetySnapshot: false });
    expect(stopped?.warning).toMatch(/^on a dir storage pool, files changed since the snapshot with their size and mtime kept may not have been restored \(they are looked for only in a running container restored with --stop\)$/);
  });
});
