import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostPool } from '../../src/main/hosts/pool';
import { subscribeEvents, type IncusEvent } from '../../src/main/incus/events';
import { knowHost, makePool, sshHost, tempHome } from '../helpers/hosts';
import { Fixtures, incus, requireDaemon, testName } from '../helpers/incus';
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
