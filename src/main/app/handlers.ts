import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultBackupFileName } from '../backups/export';
import { AppError } from '../errors';
import type { SnapshotService } from '../snapshots/service';
import type * as SshConfigImport from '../hosts/ssh-config-import';
import type * as SnapshotDiff from '../snapshots/diff/diff';
import type { CoiCore } from './core';
import type { Handlers } from './dispatch';
import { listOperations } from './operations';
import * as retention from '../snapshots/retention';
import type * as Schedule from '../snapshots/schedule';

/** One handler per contract call; inputs arrive validated, outputs are validated by `dispatch`. */
export function createHandlers(core: CoiCore): Handlers {
  const service = (host: string) => core.pool.service(host);
  const client = (host: string) => core.pool.client(host);
  // Loaded on first use: it brings croner, which `snapshot list` never needs.
  const schedule = (): Promise<typeof Schedule> => import('../snapshots/schedule');
  const sshConfig = async () => readFile(join(core.home, '.ssh', 'config'), 'utf8').catch(() => '');

  return {
    'hosts.list': async () => core.registry.list().map((config) => ({ config, status: core.pool.status(config.name) })),
    'hosts.warnings': async () => core.registry.warnings,
    'hosts.add': async ({ host, test, token }) => core.addHost(host, test, token),
    'hosts.importCandidates': async () => (await sshConfigImport())(await sshConfig(), core.home),
    'hosts.import': async ({ aliases }) => core.importHosts((await sshConfigImport())(await sshConfig(), core.home, aliases)),
    'hosts.incusRemoteCandidates': async () => core.incusRemotes(),
    'hosts.importIncusRemotes': async ({ aliases }) => core.importHosts((await core.incusRemotes(aliases)).remotes),
    'hosts.remove': async ({ host }) => {
      await core.registry.remove(host);
      return null;
    },
    'hosts.test': async ({ host }) => core.pool.test(host),
    'hosts.trustFingerprint': async ({ host, fingerprint }) => {
      await core.trustFingerprint(host, fingerprint);
      return null;
    },
    'hosts.forgetKey': async ({ host, fingerprint }) => core.forgetHostKey(host, fingerprint),
    'hosts.answerPassphrase': async ({ requestId, passphrase }) => {
      core.passphrases.answer(requestId, passphrase);
      return null;
    },

    'containers.list': async ({ host }) => service(host).listContainers(),
    'containers.get': async ({ host, container }) => service(host).getContainer(container),
    'containers.overview': async ({ snapshots }) => {
      const read = snapshots ? (service: SnapshotService) => service.listContainerRows() : (service: SnapshotService) => service.listContainerHeads();
      return core.pool.eachHost(read, (overview) => core.emit({ type: 'overview-host', overview }), snapshots ? 'slow' : 'fast');
    },
    'containers.setMountExcludes': async ({ host, container, excludes }) => service(host).setMountExcludes(container, excludes),
    'containers.start': async ({ host, container }) => {
      await service(host).start(container);
      return null;
    },
    'containers.stop': async ({ host, container, force }) => {
      await service(host).stop(container, { force });
      return null;
    },

    'snapshots.list': async ({ host, container }) => service(host).listSnapshots(container),
    'snapshots.create': async ({ host, container, name, stateful, expiresAt, includeMounts }) => service(host).create(container, { name, stateful, expiresAt, includeMounts }),
    'snapshots.restore': async ({ host, container, snapshot, stateful, safetySnapshot, stopFirst, startAfter, includeMounts }) => {
      const result = await service(host).restore(container, snapshot, { stateful, safetySnapshot, stopFirst, startAfter, includeMounts });
      if (!result) throw new AppError('internal', 'the restore was not carried out');
      return result;
    },
    'snapshots.delete': async ({ host, container, snapshot }) => {
      await service(host).delete(container, snapshot);
      return null;
    },
    'snapshots.deleteMany': async ({ host, container, snapshots }) => service(host).deleteMany(container, snapshots),
    'snapshots.deleteAll': async ({ host, container, confirmName }) => {
      if (confirmName !== container) {
        throw new AppError('confirmation-required', `to delete every snapshot of '${container}', type the container's name exactly`);
      }
      const snapshots = await service(host).listSnapshots(container);
      return service(host).deleteMany(container, snapshots.map((snapshot) => snapshot.name));
    },
    'snapshots.info': async ({ host, container, snapshot }) => service(host).info(container, snapshot),
    'snapshots.branch': async ({ host, container, snapshot, target, member }) => service(host).branch(container, snapshot, target, undefined, member),
    'snapshots.rename': async ({ host, container, snapshot, newName }) => service(host).rename(container, snapshot, newName),
    'snapshots.setExpiry': async ({ host, container, snapshot, expiresAt }) => service(host).setExpiry(container, snapshot, expiresAt),
    'snapshots.setDescription': async ({ host, container, snapshot, description }) => service(host).setDescription(container, snapshot, description),
    'snapshots.diff': async (request) => {
      const { diffSnapshots } = await snapshotDiff();
      const what = `Snapshot diff: ${request.container} ${request.from} → ${request.to ?? 'current state'}`;
      return core.jobs.run(request.host, request.jobId, what, [request.container], ({ signal, progress }) =>
        diffSnapshots(diffDeps(core, request.host), request, { signal, onProgress: progress, onNotice: (notice) => progress(notice, null) }),
      );
    },
    'snapshots.diffFile': async (request) => {
      const { diffFile } = await snapshotDiff();
      const what = `File diff: ${request.path} in ${request.container} ${request.from} → ${request.to ?? 'current state'}`;
      return core.jobs.run(request.host, request.jobId, what, [request.container], ({ signal, progress }) =>
        diffFile(diffDeps(core, request.host), request, { signal, onProgress: progress, onNotice: (notice) => progress(notice, null) }),
      );
    },

    'schedule.get': async ({ host, container }) => (await schedule()).getSchedule(client(host), container),
    'schedule.set': async ({ host, container, every, stopped, expiry }) => (await schedule()).setSchedule(client(host), container, { every, stopped, expiry }),
    'schedule.off': async ({ host, container }) => {
      await (await schedule()).scheduleOff(client(host), container);
      return null;
    },

    'retention.get': async ({ host, container }) => retention.getPolicy(client(host), container),
    'retention.set': async ({ host, container, policy }) => retention.setPolicy(client(host), container, policy),
    'retention.off': async ({ host, container }) => {
      await retention.policyOff(client(host), container);
      return null;
    },
    'retention.preview': async ({ host, container, policy }) => retention.previewRetention(client(host), container, policy),
    'retention.apply': async ({ host, container }) => retention.applyRetention(client(host), container),
    'retention.pin': async ({ host, container, snapshot, pinned }) => {
      await retention.setPinned(client(host), container, snapshot, pinned);
      return null;
    },

    'backups.files': async () => ({ files: core.files ? 'native' : 'browser' }),
    'backups.export': async ({ host, container, snapshot, instanceOnly, optimized }) => {
      const request = { container, snapshot, instanceOnly, optimized };
      if (!core.files) return { kind: 'download', url: core.transfers.offerDownload(host, request) };
      const path = await core.files.saveAs(defaultBackupFileName(request, new Date()));
      return path === null ? { kind: 'cancelled' } : { kind: 'started', transfer: core.transfers.exportToFile(host, request, path) };
    },
    'backups.import': async ({ host, name, upload }) => {
      if (upload) return { kind: 'upload', url: core.transfers.offerUpload(host, { name, ...upload }) };
      if (!core.files) throw new AppError('invalid-input', 'choose the backup file to upload first');
      const path = await core.files.openBackup();
      return path === null ? { kind: 'cancelled' } : { kind: 'started', transfer: core.transfers.importFromFile(host, path, name) };
    },

    'operations.list': async ({ host }) => [...core.jobs.list(host), ...(await listOperations(core.pool.client(host)))],
    'operations.cancel': async ({ host, id }) => {
      if (!core.jobs.cancel(host, id)) await core.pool.client(host).cancelOperation(id);
      return null;
    },
  };
}

/** The snapshot diff (its tar reader, jsdiff), loaded by the first diff. */
async function snapshotDiff(): Promise<typeof SnapshotDiff> {
  return import('../snapshots/diff/diff');
}

function diffDeps(core: CoiCore, host: string): SnapshotDiff.DiffDeps {
  return { client: core.pool.client(host), host, project: core.project(host), configDir: core.configDir, journal: core.temporaries(host) };
}

/** The `~/.ssh/config` reader, loaded when a host import asks for it (a CLI command never pays for it). */
async function sshConfigImport(): Promise<typeof SshConfigImport.importSshConfig> {
  return (await import('../hosts/ssh-config-import')).importSshConfig;
}
