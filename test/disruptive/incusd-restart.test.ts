import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CoiEvent } from '../../src/shared/contract';
import type { CoiCore } from '../../src/main/app/core';
import { Fixtures, incus, requireDaemon, runProcess, status, testName } from '../helpers/incus';
import { openCore } from '../helpers/transports';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { cliProcess } from '../helpers/cli';
import { tempHome } from '../helpers/hosts';
import { SocketProxy } from '../helpers/socket-proxy';

// Restarts the shared Incus daemon: this file runs in the 'disruptive' project, alone, after the rest.

const PROVISION = join(__dirname, '..', '..', 'scripts', 'provision-incus.sh');
const fixtures = new Fixtures();
let core: CoiCore;
const seen: CoiEvent[] = [];
/** The daemon the test stopped, if it did: afterAll waits for it to be gone before starting another. */
let stopped: number | undefined;

/** The first event (already seen, or to come) that `matches`, or a failure after `timeoutMs`. */
function event(what: string, matches: (event: CoiEvent) => boolean, timeoutMs: number): Promise<CoiEvent> {
  const already = seen.find(matches);
  if (already) return Promise.resolve(already);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      core.events.off('event', listener);
      reject(new Error(`no ${what} within ${timeoutMs / 1000} s; events seen: ${JSON.stringify(seen.map((e) => e.type))}`));
    }, timeoutMs);
    const listener = (heard: CoiEvent) => {
      if (!matches(heard)) return;
      clearTimeout(timer);
      core.events.off('event', listener);
      resolve(heard);
    };
    core.events.on('event', listener);
  });
}

const snapshotCreated = (container: string, snapshot: string) => (heard: CoiEvent) =>
  heard.type === 'lifecycle' && heard.action === 'instance-snapshot-created' && heard.source === `/1.0/instances/${container}/snapshots/${snapshot}`;

/**
 * The pid of the daemon scripts/provision-incus.sh starts: not its helper processes (`incusd forkstart …`)
 * nor their zombies (a container's PID 1 here may not reap them), nor the clustered daemon that
 * scripts/provision-incus-https.sh starts with an INCUS_DIR of its own.
 */
async function incusdPid(): Promise<number> {
  const all = (await runProcess('pgrep', ['-f', '^/usr/libexec/incus/incusd --group root$'])).stdout.trim().split(/\s+/).filter(Boolean);
  const ownDir = (pid: string) => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').some((entry) => entry.startsWith('INCUS_DIR=') && entry !== 'INCUS_DIR=/var/lib/incus');
  const pids = all.filter((pid) => !ownDir(pid));
  expect(pids, 'exactly one incusd runs on the default INCUS_DIR').toHaveLength(1);
  return Number(pids[0]);
}

function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
}

/**
 * Starts the daemon the way setup does, unless it already answers: the provision script, in a session
 * of its own so a Ctrl-C on the test run never reaches the daemon. It returns once `incus admin
 * waitready` says the daemon is ready.
 */
async function ensureDaemon(): Promise<void> {
  const child = spawn('bash', [PROVISION], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`scripts/provision-incus.sh failed (${code}): ${output}`);
  await incus('admin', 'waitready', '--timeout', '60');
}

/**
 * Stops the daemon with SIGTERM (instances are left running, unlike `incus admin shutdown`) and waits
 * until its process is gone: its shutdown waits for the operations under way (other tests' too, when
 * run beside them).
 */
async function stopDaemon(): Promise<void> {
  const pid = await incusdPid();
  stopped = pid;
  process.kill(pid, 'SIGTERM');
  await expect.poll(() => running(pid), { timeout: 120_000, interval: 100 }).toBe(false);
}

beforeAll(async () => {
  requireDaemon();
  ({ core } = await openCore());
  core.events.on('event', (heard) => seen.push(heard));
});
afterAll(async () => {
  try {
    // a daemon still shutting down answers, and the provision script would then start none
    const pid = stopped;
    if (pid !== undefined) {
      await vi.waitFor(() => {
        if (running(pid)) throw new Error(`the stopped incusd (pid ${pid}) still runs after 60 s`);
      }, { timeout: 60_000, interval: 100 });
    }
    await ensureDaemon(); // whatever happened above, the other tests' daemon runs again
  } finally {
    await core?.close();
    await fixtures.cleanup();
  }
});

describe('live events across an Incus restart', () => {
  it('re-subscribes after incusd restarts, so a snapshot made afterwards is heard; running containers keep running', async () => {
    const container = await fixtures.launch(testName('restart'));
    await core.pool.test('local'); // online: the core starts listening
    await core.liveEventsOpen('local');
    await incus('snapshot', 'create', container, 'before');
    await event('event for the snapshot made before the restart', snapshotCreated(container, 'before'), 10_000);

    await stopDaemon();
    await event('events-unavailable', (heard) => heard.type === 'events-unavailable' && heard.host === 'local', 30_000);
    await ensureDaemon();

    // Back when the last word on the local stream is "restored" (a retry may have reached the dying daemon too).
    const streamState = () => seen.filter((heard) => (heard.type === 'events-unavailable' || heard.type === 'events-restored') && heard.host === 'local').at(-1)?.type;
    await expect.poll(streamState, { timeout: 20_000, interval: 100 }).toBe('events-restored');
    await incus('snapshot', 'create', container, 'after');
    await event('event for the snapshot made after the restart', snapshotCreated(container, 'after'), 10_000);
    expect(await status(container)).toBe('RUNNING');
  }, 240_000);
});

describe('a snapshot diff across an Incus restart', () => {
  it('Incus restarted while it packs the snapshot: the diff says the packing was lost and to run it again, exits 1, leaves no image; the next diff works', async () => {
    const container = await fixtures.launch(testName('diffrestart'));
    await incus('snapshot', 'create', container, 'before');
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    // the answer to the wait on the snapshot's publish is held: the daemon restarts meanwhile
    const held = proxy.holdAnswersAfter('"compression_algorithm":"none"', '/wait');
    const { configDir } = tempHome();
    const run = cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { INCUS_SOCKET: proxy.path, COI_DESKTOP_CONFIG_DIR: configDir });
    await held;
    await stopDaemon();
    await proxy.cut(); // the command's connections end and new ones find no socket, as while the daemon is away
    await ensureDaemon();
    await proxy.resume();
    const result = await run;
    await proxy.cut();
    expect(result.stderr).toMatch(new RegExp(`^Error: Incus lost track of packing snapshot before into temporary image coi-diff-\\S+ \\(operation \\S+ ended before its result could be read: restarted meanwhile\\?\\); run the diff again$`, 'm'));
    expect(result.code).toBe(1);
    const images = (await incus('image', 'list', '--format', 'csv', '-c', 'l')).split('\n').filter((alias) => alias.includes(container));
    expect(images, 'the temporary image is removed').toEqual([]);
    const again = await cliProcess(['snapshot', 'diff', 'before', '-c', container, '--summary'], { COI_DESKTOP_CONFIG_DIR: configDir });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  }, 240_000);
});
