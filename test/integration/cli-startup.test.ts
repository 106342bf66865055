import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProcess } from '../helpers/cli';
import { testName } from '../helpers/incus';

const PRELOAD = join(__dirname, '..', 'fixtures', 'loaded-modules.cjs');
/** What the bundled commander, zod, undici and the core's Incus client define: a file holding one loaded it. */
const BUNDLED = ['CommanderError', 'ZodError', 'var Dispatcher = class', 'class IncusClient', 'class CoiCore'];

/** Runs the built CLI; what it printed and every JavaScript file it loaded (besides the preload itself). */
async function loading(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = await cliProcess(args, { ...env, NODE_OPTIONS: `--require ${PRELOAD}` });
  const line = run.stderr.split('\n').find((text) => text.startsWith('LOADED '));
  if (!line) throw new Error(`the CLI did not report what it loaded: ${run.stderr}`);
  const files = (JSON.parse(line.slice('LOADED '.length)) as string[]).filter((file) => file !== PRELOAD);
  return { ...run, files, packages: [...new Set(files.flatMap((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? []))] };
}

// Start-up cost is the code a command loads: these pin what each path loads (the figures are in `npm run bench`).
describe('what the built CLI loads', () => {
  it('prints its version without loading any command, the Incus client, zod or a package', async () => {
    const run = await loading(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('0.1.0\n');
    expect(run.packages).toEqual([]);
    const code = run.files.map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(code).not.toContain('class IncusClient');
    expect(code).not.toContain('ZodError');
  });

  it('lists the local host\'s snapshots as JSON without commander, zod, undici, the core or any package', async () => {
    const run = await loading(['snapshot', 'list', '--all', '--format', 'json'], { COI_CONTAINER_PREFIX: `${testName('none')}-` });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('{}\n');
    expect(run.packages).toEqual([]);
    const code = run.files.map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const mark of BUNDLED) expect({ mark, loaded: code.includes(mark) }).toEqual({ mark, loaded: false });
  });

  it('with a hosts.json, checks it with its schema but still loads no commander, undici or core', async () => {
    const config = mkdtempSync(join(tmpdir(), 'coi-config-'));
    writeFileSync(join(config, 'hosts.json'), JSON.stringify({ version: 1, hosts: [{ name: 'local', kind: 'local', displayName: 'Here' }] }));
    const run = await loading(['snapshot', 'list', '-a', '--format=json'], { COI_CONTAINER_PREFIX: `${testName('none')}-`, COI_DESKTOP_CONFIG_DIR: config });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('{}\n');
    const code = run.files.map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const mark of BUNDLED.filter((mark) => mark !== 'ZodError')) expect({ mark, loaded: code.includes(mark) }).toEqual({ mark, loaded: false });
  });

  it('lists as text with the full CLI, which takes the early answers', async () => {
    const run = await loading(['snapshot', 'list', '--all'], { COI_CONTAINER_PREFIX: `${testName('none')}-` });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('No COI containers found');
    expect(run.files.map((file) => readFileSync(file, 'utf8')).join('\n')).toContain('CommanderError');
  });

  it('reaches an SSH host on every run (ssh2 is imported dynamically)', async () => {
    // A host whose SSH port refuses: the command must get as far as dialling it, after loading ssh2.
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'coi-cache-')), COI_DESKTOP_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'coi-config-')) };
    for (const run of ['first', 'second']) {
      const tested = await cliProcess(['host', 'add', `refusing-${run}`, '--ssh', 'root@127.0.0.1:1'], env);
      expect({ run, stderr: tested.stderr }).toEqual({ run, stderr: expect.stringContaining('cannot reach SSH on 127.0.0.1:1: connection refused') });
    }
    expect((await cliProcess(['host', 'add', 'refusing', '--ssh', 'root@127.0.0.1:1', '--no-test'], env)).code).toBe(0);
    for (const run of ['first', 'second']) {
      const listed = await cliProcess(['snapshot', 'list', '--host', 'refusing', '-c', 'any'], env);
      expect({ run, stderr: listed.stderr }).toEqual({ run, stderr: expect.stringContaining('cannot reach SSH on 127.0.0.1:1: connection refused') });
    }
  });
});
