import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { markUnreachable } from '../../src/main/snapshots/service';
import { cli } from '../helpers/cli';
import type { tempHome } from '../helpers/hosts';
import { CLUSTER_SOCKET, CLUSTER_URL, clusterIncus, requireHttps, trustToken, untrust } from '../helpers/https';
import { TEST_IMAGE, testName } from '../helpers/incus';
import { openCore } from '../helpers/transports';

/** The single-member cluster of scripts/provision-incus-https.sh: its own daemon, so clustering it disturbs nobody. */
let core: CoiCore;
let home: ReturnType<typeof tempHome>;
const made: string[] = [];
let source: string;

beforeAll(async () => {
  await requireHttps(CLUSTER_SOCKET);
  ({ core, home } = await openCore());
  const added = await core.addHost({ kind: 'incus', name: 'cluster', url: CLUSTER_URL }, true, await trustToken('cluster', CLUSTER_SOCKET));
  if (added.error) throw new Error(added.error.message);
  source = testName('cl');
  made.push(source);
  await clusterIncus('init', TEST_IMAGE, source, '-q');
  await clusterIncus('snapshot', 'create', source, 'base');
});
afterAll(async () => {
  await core?.close();
  if (home) await untrust(home.configDir, CLUSTER_SOCKET);
  await Promise.all(made.map((name) => clusterIncus('delete', '-f', name).catch(() => undefined)));
});

describe('a real single-member Incus cluster over HTTPS', () => {
  it('lists its members and each instance\'s location', async () => {
    const [overview] = (await core.pool.overview()).filter((host) => host.host === 'cluster');
    expect(overview?.status.state).toBe('online');
    expect(overview?.members).toEqual([{ name: 'member1', url: CLUSTER_URL, roles: expect.arrayContaining(['database-leader']), status: 'Online', message: 'Fully operational' }]);
    const container = overview?.containers.find((candidate) => candidate.name === source);
    expect(container).toMatchObject({ location: 'member1' });
    expect(container?.unreachable).toBeUndefined();
  });

  it('branches onto the member asked for, and says which member a wrong one is', async () => {
    const target = testName('cl-branch');
    made.push(target);
    const branched = await core.pool.service('cluster').branch(source, 'base', target, undefined, 'member1');
    expect(branched).toMatchObject({ name: target, location: 'member1' });

    const nowhere = testName('cl-none');
    made.push(nowhere);
    await expect(core.pool.service('cluster').branch(source, 'base', nowhere, undefined, 'no-such-member')).rejects.toThrow(/no-such-member|not found/i);
  });

  it('shows LOCATION and the members in the CLI, and branches with --member', async () => {
    const env = { env: { COI_DESKTOP_CONFIG_DIR: home.configDir, HOME: home.home } };
    const listed = await cli(['overview'], env);
    expect(listed.stdout).toMatch(/cluster of 1 member:\nMEMBER\s+STATUS\s+ROLES\s+MESSAGE\nmember1\s+ONLINE\s+database-leader,database\s+Fully operational/);
    expect(listed.stdout).toMatch(new RegExp(`${source}\\s+STOPPED\\s+member1\\s`));
    const target = testName('cl-cli');
    made.push(target);
    const run = await cli(['snapshot', 'branch', 'base', target, '-c', source, '--host', 'cluster', '--member', 'member1'], env);
    expect(run.stderr).toContain(`Created container '${target}' from snapshot 'base' of '${source}' on member member1`);
    expect(run.code).toBe(0);
  });
});

describe('an instance on a member that is down', () => {
  it('says so instead of failing the host', () => {
    const base = { status: 'Error', type: 'container', createdAt: '2026-01-01T00:00:00Z', coi: false, statefulCapable: false, snapshots: [] };
    const members = [
      { name: 'a', url: 'https://a:8443', roles: [], status: 'Online', message: 'Fully operational' },
      { name: 'b', url: 'https://b:8443', roles: [], status: 'Offline', message: 'No heartbeat since 2m0s' },
      { name: 'c', url: 'https://c:8443', roles: [], status: 'Evacuated', message: 'Unavailable due to maintenance' },
    ];
    const marked = markUnreachable([{ ...base, name: 'x', location: 'a' }, { ...base, name: 'y', location: 'b' }, { ...base, name: 'z', location: 'c' }], members);
    expect(marked.map((container) => container.unreachable)).toEqual([
      undefined,
      'its cluster member b is offline (No heartbeat since 2m0s)',
      'its cluster member c is evacuated (Unavailable due to maintenance)',
    ]);
  });
});
