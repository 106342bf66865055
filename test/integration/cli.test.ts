import { mkdtempSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../../src/main/cli/format';
import { workspaceHash } from '../../src/main/snapshots/coi-naming';
import { SnapshotService } from '../../src/main/snapshots/service';
import { snapshotDetailJson } from '../../src/shared/snapshot-json';
import { cli, cliProcess, exited, interruptedAt, spawnCli } from '../helpers/cli';
import { silentSocket } from '../helpers/silent-socket';
import { Fixtures, incus, localClient, readFile, requireDaemon, snapshotNames, status, testName, writeFile } from '../helpers/incus';

const fixtures = new Fixtures();
let workspace: string;

beforeAll(() => {
  requireDaemon();
  workspace = mkdtempSync(join(tmpdir(), 'coi-ws-'));
});
afterAll(async () => {
  await fixtures.cleanup();
  rmSync(workspace, { recursive: true, force: true });
});

/** A COI prefix of this test's own, so "all COI containers" are only the ones it made. */
const ownPrefix = () => `${testName('p')}-`;

describe('which container', () => {
  it('uses -c over COI_CONTAINER, and COI_CONTAINER over the workspace', async () => {
    const a = await fixtures.launch(testName('resa'), { stopped: true });
    const b = await fixtures.launch(testName('resb'), { stopped: true });
    await cli(['snapshot', 'create', 'via-env'], { env: { COI_CONTAINER: a } });
    await cli(['snapshot', 'create', 'via-flag', '-c', b], { env: { COI_CONTAINER: a } });
    expect(await snapshotNames(a)).toEqual(['via-env']);
    expect(await snapshotNames(b)).toEqual(['via-flag']);
  });

  it("finds the current workspace's one container, and lists the candidates when there are two", async () => {
    const prefix = ownPrefix();
    const env = { COI_CONTAINER_PREFIX: prefix };
    const first = await fixtures.launch(`${prefix}${workspaceHash(workspace)}-1`, { stopped: true });
    const made = await cli(['snapshot', 'create', 'ws'], { env, cwd: workspace });
    expect(made).toMatchObject({ code: 0, stderr: `Created snapshot 'ws' for container '${first}'\n` });

    const second = await fixtures.launch(`${prefix}${workspaceHash(workspace)}-2`, { stopped: true });
    const ambiguous = await cli(['snapshot', 'list'], { env, cwd: workspace });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(`Error: multiple COI containers found for workspace, use --container to specify: ${first}, ${second}\n`);
  });

  it('names the COI containers there are when the workspace has none', async () => {
    const prefix = ownPrefix();
    const other = await fixtures.launch(`${prefix}ffffffff-1`, { stopped: true });
    const run = await cli(['snapshot', 'list'], { env: { COI_CONTAINER_PREFIX: prefix }, cwd: workspace });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`no COI container found for workspace .*COI containers here: ${other}\\.`));
  });
});

describe('create, list and info', () => {
  it('auto-names snapshots and prints the list in JSON alone on stdout', async () => {
    const name = await fixtures.launch(testName('clilist'), { stopped: true });
    const made = await cli(['snapshot', 'create', '-c', name]);
    const auto = /'(snap-\d{8}-\d{6})'/.exec(made.stderr)?.[1];
    expect(auto).toBeDefined();
    await cli(['snapshot', 'create', 'named', '-c', name]);

    const listed = await cli(['snapshot', 'list', '-c', name, '--format', 'json']);
    expect(listed.code).toBe(0);
    const json = JSON.parse(listed.stdout) as { container: string; snapshots: { name: string; stateful: boolean; created_at: string; expires_at: null }[] };
    expect(json.container).toBe(name);
    expect(json.snapshots.map((s) => s.name)).toEqual(['named', auto]);
    expect(json.snapshots[0]).toMatchObject({ stateful: false, expires_at: null, created_at: expect.any(String) });

    const text = await cli(['snapshot', 'list', '-c', name]);
    expect(text.stdout).toMatch(new RegExp(`^Snapshots for ${name}:\\n\\nNAME +CREATED +EXPIRES +STATEFUL +SIZE\\nnamed `));
    expect(text.stdout).toMatch(/Total: 2 snapshots\n$/);
  });

  it('refuses an existing name and an unsafe one with exit code 1', async () => {
    const name = await fixtures.launch(testName('clidup'), { stopped: true });
    await cli(['snapshot', 'create', 'x', '-c', name]);
    const dup = await cli(['snapshot', 'create', 'x', '-c', name]);
    expect(dup).toMatchObject({ code: 1, stderr: `Error: snapshot 'x' already exists for container '${name}'\n` });
    const unsafe = await cli(['snapshot', 'create', '..', '-c', name]);
    expect(unsafe).toMatchObject({ code: 1, stderr: "Error: '..' is not a snapshot name (it names a directory)\n" });
    expect(await snapshotNames(name)).toEqual(['x']);
  });

  it('lists every COI container as {name: [snapshots]} with --all', async () => {
    const prefix = ownPrefix();
    const one = await fixtures.launch(`${prefix}aaaaaaaa-1`, { stopped: true });
    const two = await fixtures.launch(`${prefix}bbbbbbbb-1`, { stopped: true });
    await incus('snapshot', 'create', one, 's1');
    const run = await cli(['snapshot', 'list', '--all', '--format', 'json'], { env: { COI_CONTAINER_PREFIX: prefix } });
    const json = JSON.parse(run.stdout) as Record<string, { name: string }[]>;
    expect(Object.keys(json)).toEqual([one, two]);
    expect(json[one]!.map((s) => s.name)).toEqual(['s1']);
    expect(json[two]).toEqual([]);
  });

  it('refuses an --expires-at in the past with exit code 1, creating nothing', async () => {
    const name = await fixtures.launch(testName('clipast'), { stopped: true });
    const run = await cli(['snapshot', 'create', 'doomed', '-c', name, '--expires-at', new Date(2020, 0, 1).toISOString()]);
    expect(run).toMatchObject({
      code: 1,
      stderr: 'Error: the expiry 2020-01-01 00:00 is in the past: Incus would delete the snapshot within a minute; pick a later time or no expiry\n',
    });
    expect(await snapshotNames(name)).toEqual([]);
  });

  it('shows one snapshot in text and JSON, the JSON being what Copy JSON copies', async () => {
    const name = await fixtures.launch(testName('cliinfo'), { stopped: true });
    await incus('snapshot', 'create', name, 'detail');
    expect((await cli(['snapshot', 'describe', 'detail', 'a note', '-c', name])).code).toBe(0);
    const printed = (await cli(['snapshot', 'info', 'detail', '-c', name, '--format', 'json'])).stdout;
    const json = JSON.parse(printed) as Record<string, unknown>;
    expect(json).toMatchObject({ name: 'detail', container: name, stateful: false, profiles: ['default'], description: 'a note', last_used_at: null });
    // The UI's "Copy JSON" builds its text from the contract's snapshots.info with the same function.
    const client = localClient();
    const detail = await new SnapshotService(client, { coiPrefix: 'coi-' }).info(name, 'detail').finally(() => client.close());
    expect(toJson(snapshotDetailJson(detail))).toBe(printed);
    const text = await cli(['snapshot', 'info', 'detail', '-c', name]);
    expect(text.stdout).toMatch(new RegExp(`^Snapshot: +detail\\nContainer: +${name}\\n`));
  });

  it("prints the daemon's strings with their escape codes made visible in text, and exact in JSON", async () => {
    const red = '\x1b[31mred\x1b[0m';
    const name = await fixtures.launch(testName('cliesc'), { stopped: true, config: { 'user.note': red } });
    await incus('snapshot', 'create', name, 'painted');
    expect((await cli(['snapshot', 'describe', 'painted', `a ${red} description`, '-c', name])).code).toBe(0);
    const text = await cli(['snapshot', 'info', 'painted', '-c', name]);
    expect(text.stdout).not.toContain('\x1b');
    expect(text.stdout).toContain('  user.note: \\x1b[31mred\\x1b[0m\n');
    expect(text.stdout).toMatch(/^Description: +a \\x1b\[31mred\\x1b\[0m description$/m);
    const json = JSON.parse((await cli(['snapshot', 'info', 'painted', '-c', name, '--format', 'json'])).stdout) as { config: Record<string, string>; description: string };
    expect(json.config['user.note']).toBe(red);
    expect(json.description).toBe(`a ${red} description`);
  });

  it('lists containers as JSON with snapshot counts', async () => {
    const name = await fixtures.launch(testName('clicont'), { stopped: true });
    await incus('snapshot', 'create', name, 'one');
    const json = JSON.parse((await cli(['container', 'list', '--format', 'json'])).stdout) as { name: string; snapshot_count: number; status: string }[];
    expect(json.find((c) => c.name === name)).toMatchObject({ status: 'Stopped', snapshot_count: 1 });
  });
});

describe('restore', () => {
  it('refuses a running container without --stop and says to add it', async () => {
    const name = await fixtures.launch(testName('clirun'));
    await incus('snapshot', 'create', name, 's');
    const run = await cli(['snapshot', 'restore', 's', '-c', name, '-f']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/must be stopped before restore .*add --stop to stop it first and start it again afterwards/);
    expect(await status(name)).toBe('RUNNING');
    expect(await snapshotNames(name)).toEqual(['s']);
  });

  it('with --stop stops a running container, restores it and starts it again; --no-start leaves it stopped', async () => {
    const name = await fixtures.launch(testName('clistop'));
    await writeFile(name, '/root/f', 'good');
    await incus('snapshot', 'create', name, 'good');
    await writeFile(name, '/root/f', 'bad');

    const run = await cli(['snapshot', 'restore', 'good', '-c', name, '--stop'], { tty: { answers: ['y'] } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/WARNING: This will stop container '.*', restore it to snapshot 'good' and start it again\./);
    expect(run.stderr).toMatch(/Restored container '.*' from snapshot 'good'; it was stopped for the restore and is running again\n/);
    expect(await status(name)).toBe('RUNNING');
    expect(await readFile(name, '/root/f')).toBe('good');

    const left = await cli(['snapshot', 'restore', 'good', '-c', name, '--stop', '--no-start', '--no-safety-snapshot', '-f']);
    expect(left).toMatchObject({ code: 0, stderr: expect.stringMatching(/is left stopped\n$/) });
    expect(await status(name)).toBe('STOPPED');
    expect(await cli(['snapshot', 'restore', 'good', '-c', name, '--no-start', '-f'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--no-start goes with --stop/) });
  });

  it('Ctrl-C while --stop stops the container: nothing is restored and the container is running again', async () => {
    const name = await fixtures.launch(testName('clistopint'));
    await writeFile(name, '/root/f', 'good');
    await incus('snapshot', 'create', name, 'good');
    await writeFile(name, '/root/f', 'bad');
    const run = await interruptedAt(['snapshot', 'restore', 'good', '-c', name, '--stop', '-f', '--no-safety-snapshot'], '"action":"stop"', '/wait');
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/nothing was restored; it was started again\n$/);
    expect(await status(name)).toBe('RUNNING');
    expect(await readFile(name, '/root/f')).toBe('bad');
  });

  it('refuses without a terminal and without -f, changing nothing', async () => {
    const name = await fixtures.launch(testName('clinotty'), { stopped: true });
    await incus('snapshot', 'create', name, 's');
    const run = await cli(['snapshot', 'restore', 's', '-c', name]);
    expect(run).toMatchObject({ code: 1, stderr: expect.stringMatching(/refusing to restore .* standard input is not a terminal; add -f\/--force/) });
    expect(await snapshotNames(name)).toEqual(['s']);
  });

  it('asks on a terminal: no aborts, yes restores the file and reports the safety snapshot', async () => {
    const name = await fixtures.launch(testName('clitty'));
    await writeFile(name, '/root/f', 'good');
    await incus('snapshot', 'create', name, 'good');
    await writeFile(name, '/root/f', 'bad');
    await incus('stop', '-f', name);

    const no = await cli(['snapshot', 'restore', 'good', '-c', name], { tty: { answers: ['n'] } });
    expect(no.stderr).toMatch(/WARNING: This will restore container .* to snapshot 'good'\.[\s\S]*Continue\? \[y\/N\]: Aborted\n$/);
    expect(await readFile(name, '/root/f')).toBe('bad');

    const yes = await cli(['snapshot', 'restore', 'good', '-c', name], { tty: { answers: ['y'] } });
    expect(yes.code).toBe(0);
    expect(yes.stderr).toMatch(/Restored container .* from snapshot 'good'\nThe state before the restore is in snapshot 'pre-restore-\d{8}-\d{6}'/);
    expect(await readFile(name, '/root/f')).toBe('good');
  });
});

describe('delete', () => {
  it('deletes one, and refuses --all without a terminal or -f', async () => {
    const name = await fixtures.launch(testName('clidel'), { stopped: true });
    for (const s of ['a', 'b']) await incus('snapshot', 'create', name, s);
    expect((await cli(['snapshot', 'delete', 'a', '-c', name])).code).toBe(0);
    const refused = await cli(['snapshot', 'delete', '--all', '-c', name]);
    expect(refused.code).toBe(1);
    expect(await snapshotNames(name)).toEqual(['b']);
    expect((await cli(['snapshot', 'delete', '--all', '-f', '-c', name])).code).toBe(0);
    expect(await snapshotNames(name)).toEqual([]);
  });

  it('reports the one snapshot that fails and still deletes the others', async () => {
    const name = await fixtures.launch(testName('clidelfail'), { stopped: true });
    for (const s of ['s1', 's2', 's3']) await incus('snapshot', 'create', name, s);
    // Between the listing shown for confirmation and the deletion, another terminal deletes s2.
    const beforeAnswer = () => incus('snapshot', 'delete', name, 's2').then(() => undefined);
    const run = await cli(['snapshot', 'delete', '--all', '-c', name], { tty: { answers: ['yes'], beforeAnswer } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Deleted snapshot 's3'\nFailed to delete snapshot 's2': snapshot 's2' not found[^\n]*\nDeleted snapshot 's1'\n/);
    expect(run.stderr).toMatch(/Error: 1 of 3 snapshot\(s\) could not be deleted: s2\n$/);
    expect(await snapshotNames(name)).toEqual([]);
  });
});

describe('branch and usage', () => {
  it('branches a snapshot into a new container', async () => {
    const name = await fixtures.launch(testName('clibr'), { stopped: true });
    await incus('snapshot', 'create', name, 'base');
    const run = await cli(['snapshot', 'branch', 'base', '-c', name]);
    fixtures.adopt(`${name}-base-copy`);
    expect(run).toMatchObject({ code: 0, stderr: `Created container '${name}-base-copy' from snapshot 'base' of '${name}'\n` });
    expect(await status(`${name}-base-copy`)).toBe('STOPPED');
  });

  it('exits 2 on a wrong command line', async () => {
    expect(await cli(['snapshot', 'delete', '-c', 'x'])).toMatchObject({ code: 2, stderr: 'Error: snapshot name required (or use --all to delete all snapshots)\n' });
    expect(await cli(['snapshot', 'list', '--format', 'yaml'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/argument 'yaml' is invalid\. Allowed choices are text, json/) });
    expect(await cli(['snapshot', 'frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'frobnicate'/) });
  });

  it('runs as the built coi-desktop command', async () => {
    const name = await fixtures.launch(testName('clibin'), { stopped: true });
    await incus('snapshot', 'create', name, 'one');
    const run = await cliProcess(['snapshot', 'list', '-c', name, '--format', 'json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { snapshots: { name: string }[] }).snapshots.map((s) => s.name)).toEqual(['one']);
  });
});

describe('a stuck daemon, Ctrl-C and a closed pipe', () => {
  it('gives up on a socket that accepts and stays silent, and says what to check', async () => {
    const stuck = await silentSocket();
    const run = await cliProcess(['snapshot', 'list', '-c', 'x'], { INCUS_SOCKET: stuck.path, COI_DESKTOP_REQUEST_TIMEOUT_MS: '300' });
    await stuck.close();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^Error: Incus at ${stuck.path} accepted the connection but did not answer GET /1.0/instances\\S* within 0.3 s: is the daemon stuck\\?`));
  });

  it('ends with exit code 130 at the first Ctrl-C, saying what it abandoned', async () => {
    const stuck = await silentSocket();
    const child = spawnCli(['snapshot', 'list', '-c', 'x'], { INCUS_SOCKET: stuck.path });
    const done = exited(child);
    await stuck.requested;
    const started = Date.now();
    child.kill('SIGINT');
    const run = await done;
    await stuck.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(new RegExp(`Interrupted while waiting for Incus at ${stuck.path} to answer GET /1.0/instances`));
  });

  it('cancels the running operation at the first Ctrl-C and says so, exiting 130', async () => {
    const daemon = await fakeDeletingDaemon({ cancel: { type: 'sync', status_code: 200, metadata: {} } });
    const child = spawnCli(['snapshot', 'delete', 's1', '-c', 'box'], { INCUS_SOCKET: daemon.path });
    const done = exited(child);
    await daemon.arrived('GET /1.0/operations/');
    child.kill('SIGINT');
    const run = await done;
    await daemon.close();
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`Interrupted: operation ${OPERATION_ID} was cancelled in Incus`);
  });

  it('quits at once on a second Ctrl-C while the first waits for Incus to cancel the operation', async () => {
    const daemon = await fakeDeletingDaemon({}); // answers neither the wait nor the cancel
    const child = spawnCli(['snapshot', 'delete', 's1', '-c', 'box'], { INCUS_SOCKET: daemon.path });
    const done = exited(child);
    await daemon.arrived('GET /1.0/operations/');
    child.kill('SIGINT');
    await daemon.arrived('DELETE /1.0/operations/');
    const started = Date.now();
    child.kill('SIGINT');
    const run = await done;
    await daemon.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Quit at once. An operation already started may go on in Incus');
  });

  it('ends quietly with the usual status when its output pipe is closed early (| head -c 10)', async () => {
    const child = spawnCli(['snapshot', 'list', '--all', '--format', 'json'], { COI_CONTAINER_PREFIX: ownPrefix() });
    child.stdout.destroy(); // the reader has gone before the command writes
    const run = await exited(child);
    expect(run).toEqual({ code: 0, stderr: '' });
  });
});

const OPERATION_ID = '6f1c9a52-0000-4000-8000-000000000001';

/**
 * A fake daemon on a unix socket that knows one container, 'box', starts deleting its snapshot 's1' as
 * an operation, never answers the wait on it, and answers its cancel with `cancel` (or never).
 */
async function fakeDeletingDaemon(answers: { cancel?: unknown }) {
  const operation = { id: OPERATION_ID, class: 'task', description: 'Deleting snapshot', created_at: '2026-01-01T00:00:00Z', status: 'Running', status_code: 103, may_cancel: true, err: '' };
  const requests: string[] = [];
  const heard = new EventEmitter();
  const server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    requests.push(line);
    heard.emit('request');
    const reply = (value: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (line.startsWith('GET /1.0/instances')) reply({ type: 'sync', status_code: 200, metadata: ['/1.0/instances/box'] });
    else if (line.startsWith('DELETE /1.0/instances/box/snapshots/s1')) reply({ type: 'async', status_code: 100, operation: `/1.0/operations/${OPERATION_ID}`, metadata: operation });
    else if (line.startsWith('DELETE /1.0/operations/') && answers.cancel) reply(answers.cancel);
  });
  const path = join(mkdtempSync(join(tmpdir(), 'coi-fake-incus-')), 'unix.socket');
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    /** Resolves once a request starting with `prefix` has arrived. */
    arrived: (prefix: string) =>
      new Promise<void>((resolve) => {
        const check = () => requests.some((line) => line.startsWith(prefix)) && (heard.off('request', check), resolve());
        heard.on('request', check);
        check();
      }),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
