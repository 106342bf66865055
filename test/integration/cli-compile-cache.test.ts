import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProcess } from '../helpers/cli';

// bin/compile-cache.cjs: V8's code cache for the built CLI where Node has no compile cache of its own.
const ownCache = !('enableCompileCache' in (await import('node:module')));

describe.runIf(ownCache)("the CLI's code cache", () => {
  it('is kept in a folder of the user alone, and a later run reads it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'coi-cache-'));
    const first = await cliProcess(['--version'], { XDG_CACHE_HOME: cache });
    const folder = join(cache, 'coi-desktop', `v8-${process.version}`);
    const files = readdirSync(folder);
    expect(first).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(files.some((file) => file.startsWith('cli.js-'))).toBe(true);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(files.every((file) => (statSync(join(folder, file)).mode & 0o777) === 0o600)).toBe(true);
    expect(await cliProcess(['--version'], { XDG_CACHE_HOME: cache })).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('makes an open folder private before using it, and runs as usual on a cache that is garbage', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'coi-cache-'));
    const folder = join(cache, 'coi-desktop', `v8-${process.version}`);
    mkdirSync(folder, { recursive: true, mode: 0o777 });
    await cliProcess(['--version'], { XDG_CACHE_HOME: cache });
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(folder)) writeFileSync(join(folder, file), 'not a code cache');
    expect(await cliProcess(['--version'], { XDG_CACHE_HOME: cache })).toMatchObject({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
