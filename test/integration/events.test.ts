import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostPool } from '../../src/main/hosts/pool';
import type { CoiEvent } from '../../src/shared/contract';
import { CoiCore } from '../../src/main/app/core';
import { subscribeEvents, type IncusEvent } from '../../src/main/incus/events';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { knowHost, makePool, sshHost, tempHome } from '../helpers/hosts';
import { Fixtures, incus, requireDaemon, testName } from '../helpers/incus';
import { SocketProxy } from '../helpers/socket-proxy';
import { requireSshd, sshdWithKey, type TestSshd } from '../helpers/sshd';

const fixtures = new Fixtures();
let sshd: TestSshd;
let hosts: HostPool;

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  const made = await sshdWithKey('events');
  sshd = made.sshd;
  const key = made.key;
  const home = tempHome();
  knowHost(home.sshDir, sshd);
  hosts = (await makePool({ home, hosts: [sshHost('box', sshd, { identityFiles: [key.file] })] })).pool;
});
afterAll(async () => {
  await hosts?.close();
  await sshd?.stop();
  await fixtures.cleanup();
});

describe('the Incus event stream', () => {
  it.each(['local', 'box'])('reports a snapshot made from a terminal (%s), and closes cleanly', async (host) => {
    const name = await fixtures.launch(testName('events'), { stopped: true });
    const seen: IncusEvent[] = [];
    const created = new Promise<IncusEvent>((resolve) => {
      void subscribeEvents(hosts.client(host), ['lifecycle'], {
        onEvent: (event) => {
          seen.push(event);
          if (event.metadata.action === 'instance-snapshot-created' && String(event.metadata.source).includes(`/${name}/`)) resolve(event);
        },
      }).then((subscription) => {
        void incus('snapshot', 'create', name, 'from-terminal');
        void created.then(() => subscription.close()).then(() => seen.push({ type: 'closed', timestamp: '', metadata: {} }));
      });
    });
    const event = await created;
    expect(event.metadata.source).toBe(`/1.0/instances/${name}/snapshots/from-terminal`);
    await expect.poll(() => seen.at(-1)?.type, { timeout: 5_000 }).toBe('closed');
  });
});

describe('event streams that end', () => {
  it('are opened again once the daemon is back, and say when they are lost and restored', async () => {
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const home = tempHome();
    const core = await CoiCore.open({ configDir: home.configDir, home: home.home, env: { ...process.env, INCUS_SOCKET: proxy.path }, platform: 'linux' });
    const seen: CoiEvent[] = [];
    /** Resolves once an event that `matches` has been seen; fails after 10 s. */
    const heard = (matches: (event: CoiEvent) => boolean) => expect.poll(() => seen.some(matches), { timeout: 10_000, interval: 50 }).toBe(true);
    core.events.on('event', (event) => seen.push(event));
    try {
      const name = await fixtures.launch(testName('evback'), { stopped: true });
      await core.pool.test('local');
      await core.liveEventsOpen('local');
      const created = (snapshot: string) => heard((e) => e.type === 'lifecycle' && e.source === `/1.0/instances/${name}/snapshots/${snapshot}`);
      await incus('snapshot', 'create', name, 'one');
      await created('one');

      await proxy.cut(); // the daemon goes away; the host's status stays 'online'
      await heard((e) => e.type === 'events-unavailable' && e.host === 'local');
      await proxy.resume();
      await heard((e) => e.type === 'events-restored' && e.host === 'local');
      await incus('snapshot', 'create', name, 'two');
      await created('two');
      expect(core.pool.status('local').state).toBe('online');
    } finally {
      await core.close();
      await proxy.cut();
    }
  });
});
