import type { Container, HostOverview } from '../../shared/model';
import { toErrorInfo } from '../errors';
import type { HostPool } from '../hosts/pool';

/** What a notification says about one quick snapshot. */
export interface Notice {
  ok: boolean;
  title: string;
  body: string;
}

export interface Target {
  host: string;
  container: string;
}

export function createdNotice(target: Target, snapshot: string): Notice {
  return { ok: true, title: 'Snapshot created', body: `Snapshot ${snapshot} of ${target.container} on ${target.host} created` };
}

export function failedNotice(target: Target, message: string): Notice {
  return { ok: false, title: 'Snapshot failed', body: `No snapshot of ${target.container} on ${target.host}: ${message}` };
}

/** The connection dropped and the host stayed away: the snapshot may exist, and the notice must not say it does not. */
export function unknownNotice(target: Target, message: string): Notice {
  return { ok: false, title: 'Snapshot outcome unknown', body: `Snapshot of ${target.container} on ${target.host}: ${message}` };
}

export function summaryNotice(notices: readonly Notice[]): Notice {
  const failed = notices.filter((notice) => !notice.ok);
  if (notices.length === 0) return { ok: true, title: 'Nothing to snapshot', body: 'No container is running' };
  if (failed.length === 0) return { ok: true, title: 'Snapshots created', body: `${notices.length} running container${notices.length === 1 ? '' : 's'} snapshotted` };
  return { ok: false, title: 'Some snapshots failed', body: `${notices.length - failed.length} of ${notices.length} created. ${failed.map((notice) => notice.body).join('; ')}` };
}

/** An auto-named snapshot (`snap-YYYYMMDD-HHMMSS`) of one container, in one click. */
export async function quickSnapshot(pool: HostPool, target: Target): Promise<Notice> {
  try {
    const made = await pool.service(target.host).create(target.container);
    return createdNotice(target, made.name);
  } catch (error) {
    const info = toErrorInfo(error);
    return info.code === 'connection-lost' && info.details?.snapshot ? unknownNotice(target, info.message) : failedNotice(target, info.message);
  }
}

/** A host's containers as far as the tray reads them: names and states (snapshots or not). */
export type HostStates = Pick<HostOverview, 'host' | 'status'> & { containers: readonly Pick<Container, 'name' | 'status'>[] };

/** The running containers of every host that answered. */
export function runningContainers(overview: readonly HostStates[]): Target[] {
  return overview.flatMap((host) => host.containers.filter((container) => container.status === 'Running').map((container) => ({ host: host.host, container: container.name })));
}

/** A quick snapshot of every running container, one after another per host, hosts in parallel. */
export async function quickSnapshotAll(pool: HostPool, targets: readonly Target[]): Promise<Notice> {
  const hosts = [...new Set(targets.map((target) => target.host))];
  const byHost = hosts.map((host) => targets.filter((target) => target.host === host));
  const notices = await Promise.all(byHost.map(async (mine) => {
    const done: Notice[] = [];
    for (const target of mine) done.push(await quickSnapshot(pool, target));
    return done;
  }));
  return summaryNotice(notices.flat());
}
