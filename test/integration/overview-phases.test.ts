import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoiCore } from '../../src/main/app/core';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { tempHome } from '../helpers/hosts';
import { Fixtures, requireDaemon, testName } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';

// The overview asks for its two phases at once (names and states, then the snapshots' tallies). The
// daemon's slow answer competes with the fast answer for the daemon and the core's one thread, so the
// slow read goes out only once the fast one has answered. The tallies need no pool volumes (the
// snapshots' descriptions, which a row does not show): the overview never asks for them.
let own: Fixtures;
let core: CoiCore;
let proxy: SocketProxy;
let name: string;

beforeAll(async () => {
  requireDaemon();
  own = await Fixtures.inProject('ovphase');
  name = await own.launch(testName('ovphase'), { stopped: true });
  await own.incus('snapshot', 'create', name, 's0');
  proxy = new SocketProxy(findLocalSocket());
  await proxy.resume();
  const home = tempHome();
  core = await CoiCore.open({ configDir: home.configDir, home: home.home, env: { ...process.env, INCUS_SOCKET: proxy.path, SSH_AUTH_SOCK: '' }, platform: 'linux' });
  await core.registry.add({ kind: 'local', name: 'local', project: own.project });
});
afterAll(async () => {
  proxy?.release();
  await core?.close();
  await proxy?.cut();
  await own?.cleanup();
});

describe("the overview's two phases on one host", () => {
  it('sends the slow read (recursion=2) only once the fast one has answered, asks no pool, and both answer in full', async () => {
    const fastHeld = proxy.holdAnswersAfter('/1.0/instances?recursion=1');
    let slowSent = false;
    const slow = proxy.holdAnswersAfter('/1.0/instances?recursion=2').then(() => (slowSent = true));
    let poolsSent = false;
    void proxy.holdAnswersAfter('/1.0/storage-pools').then(() => (poolsSent = true));
    const overview = core.handlers['containers.overview'];
    const fast = overview({ snapshots: false });
    const full = overview({ snapshots: true });
    await fastHeld;
    // Nothing to wait on for a request that must not be sent: the old code sent both within milliseconds.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect({ slowSent, poolsSent }).toEqual({ slowSent: false, poolsSent: false });

    proxy.release();
    const [host] = await fast;
    expect(host!.containers.map((row) => [row.name, row.status, row.snapshots])).toEqual([[name, 'Stopped', null]]);
    await slow;
    proxy.release();
    const [counted] = await full;
    expect(counted!.containers.map((row) => [row.name, row.snapshots?.count])).toEqual([[name, 1]]);
    expect(poolsSent).toBe(false);
  });
});
