import { Command, Option } from 'commander';
import { z } from 'zod';
import { AppError } from '../errors';
import type { RestoreResult } from '../../shared/model';
import type { RestorePlan, SnapshotService } from '../snapshots/service';
import { someNames } from '../../shared/names';
import { allSnapshotsJson, snapshotDetailJson, snapshotJson } from '../../shared/snapshot-json';
import { allSnapshotsText, deleteOutcomeText, heldMountsText, notCapturedText, snapshotInfoText, snapshotListText, toJson } from './format';
import { confirm, UsageError } from './io';
import { printable } from './printable';
import { scheduleCommand } from './schedule-commands';
import { formatOption, withHostOptions } from './options';
import type { CliSession, HostChoice } from './session';
import type { DiffOptions } from './diff-command';

const containerOption = () => new Option('-c, --container <name>', 'container (default: COI_CONTAINER, else the workspace container)');
const ExpiresAtSchema = z.iso.datetime({ offset: true });

export function snapshotCommand(session: CliSession): Command {
  const snapshot = new Command('snapshot').description('Checkpoint, roll back and branch containers');
  const out = (text: string) => session.io.stdout.write(text);

  snapshot
    .command('create')
    .description('Create a snapshot (auto-named snap-YYYYMMDD-HHMMSS when NAME is omitted)')
    .argument('[name]')
    .addOption(containerOption())
    .option('--stateful', 'include process memory (needs migration.stateful=true and CRIU)')
    .option('--expires-at <time>', 'ISO 8601 time when Incus deletes the snapshot')
    .option('--include-mounts', 'also archive the folders mounted from the host (e.g. /workspace) into the snapshot')
    .action(async (name: string | undefined, options: HostChoice & { container?: string; stateful?: boolean; expiresAt?: string; includeMounts?: boolean }) => {
      if (options.expiresAt && !ExpiresAtSchema.safeParse(options.expiresAt).success) {
        throw new UsageError(`--expires-at '${options.expiresAt}' is not an ISO 8601 time such as 2026-12-31T18:00:00Z`);
      }
      const service = await session.service(options);
      const container = await session.container(service, options.container);
      const outside = (await service.getContainer(container)).notCaptured ?? [];
      const made = await service.create(container, {
        name,
        stateful: options.stateful,
        expiresAt: options.expiresAt,
        includeMounts: options.includeMounts,
        onMountProgress: (message) => session.say(message),
        wait: session.wait,
      });
      session.say(`Created ${made.stateful ? 'stateful ' : ''}snapshot '${made.name}' for container '${container}'`);
      const held = made.mounts ?? [];
      if (held.length > 0) session.say(heldMountsText(held));
      const missed = outside.filter((mount) => !held.some((h) => h.device === mount.device));
      if (missed.length > 0) session.say(notCapturedText(missed, options.includeMounts ? '' : ' (add --include-mounts to archive host folders into the snapshot)'));
    });

  snapshot
    .command('list')
    .description("List a container's snapshots, newest first, or every COI container's (--all)")
    .addOption(containerOption())
    .option('-a, --all', 'all COI containers')
    .addOption(formatOption())
    .action(async (options: HostChoice & { container?: string; all?: boolean; format: string }) => {
      const service = await session.service(options);
      if (options.all) {
        const containers = await service.listCoiContainers();
        if (options.format === 'json') {
          out(toJson(allSnapshotsJson(containers)));
        } else if (containers.length === 0) {
          session.say('No COI containers found');
        } else {
          out(allSnapshotsText(containers));
        }
        return;
      }
      const container = await session.container(service, options.container);
      const snapshots = await service.listSnapshots(container);
      out(options.format === 'json' ? toJson({ container, snapshots: snapshots.map(snapshotJson) }) : snapshotListText(container, snapshots));
    });

  snapshot
    .command('restore')
    .description('Restore a container to a snapshot (a pre-restore safety snapshot is taken first)')
    .argument('<name>')
    .addOption(containerOption())
    .option('-f, --force', 'skip the confirmation')
    .option('--stateful', 'restore process memory too (stateful snapshots only)')
    .option('--no-safety-snapshot', 'do not take the pre-restore safety snapshot')
    .option('--stop', 'stop a running container first, and start it again afterwards')
    .option('--no-start', 'with --stop: leave the container stopped after the restore')
    .option('--include-mounts', 'also put the mounted host folders back (snapshots taken with --include-mounts); their current content goes into the safety snapshot')
    .action(
      async (
        name: string,
        options: HostChoice & { container?: string; force?: boolean; stateful?: boolean; safetySnapshot: boolean; stop?: boolean; start: boolean; includeMounts?: boolean },
      ) => {
        if (!options.start && !options.stop) throw new UsageError('--no-start goes with --stop (a stopped container stays stopped anyway)');
        const service = await session.service(options);
        const container = await session.container(service, options.container);
        const result = await service.restore(container, name, {
          stateful: options.stateful,
          safetySnapshot: options.safetySnapshot,
          stopFirst: options.stop,
          startAfter: options.start,
          includeMounts: options.includeMounts,
          onMountProgress: (message) => session.say(message),
          onPlan: (plan) => sayWhatStays(session, name, plan),
          confirm: options.force ? undefined : (plan) => confirm(session.io, restoreWarning(container, name, options.safetySnapshot, plan), `restore '${container}'`),
          wait: session.wait,
        });
        if (!result) return session.say('Aborted');
        session.say(restoreDoneText(result));
        if (result.mountsRestored?.length) session.say(`Put back from the snapshot: ${result.mountsRestored.join(', ')}`);
        if (result.safetySnapshot) {
          const flags = `${result.stopped ? ' --stop' : ''}${result.mountsRestored?.length ? ' --include-mounts' : ''}`;
          session.say(`The state before the restore is in snapshot '${result.safetySnapshot}' (undo: coi-desktop snapshot restore ${result.safetySnapshot} -c ${container}${flags})`);
        }
        if (result.warning) session.say(`Warning: ${result.warning}`);
      },
    );

  snapshot
    .command('delete')
    .description('Delete one snapshot, or all of a container\'s snapshots (--all)')
    .argument('[name]')
    .addOption(containerOption())
    .option('-a, --all', 'delete all snapshots of the container')
    .option('-f, --force', 'skip the confirmation')
    .action(async (name: string | undefined, options: HostChoice & { container?: string; all?: boolean; force?: boolean }) => {
      if (!name && !options.all) throw new UsageError('snapshot name required (or use --all to delete all snapshots)');
      if (name && options.all) throw new UsageError('give either a snapshot name or --all, not both');
      const service = await session.service(options);
      const container = await session.container(service, options.container);
      if (name) {
        await service.delete(container, name, session.wait);
        return session.say(`Deleted snapshot '${name}'`);
      }
      await deleteAll(session, service, container, options.force ?? false);
    });

  snapshot
    .command('info')
    .description("Show a snapshot's full detail")
    .argument('<name>')
    .addOption(containerOption())
    .addOption(formatOption())
    .action(async (name: string, options: HostChoice & { container?: string; format: string }) => {
      const service = await session.service(options);
      const container = await session.container(service, options.container);
      const detail = await service.info(container, name);
      out(options.format === 'json' ? toJson(snapshotDetailJson(detail)) : snapshotInfoText(detail));
    });

  snapshot
    .command('describe')
    .description("Set a snapshot's description (an empty one clears it)")
    .argument('<name>')
    .argument('<description>')
    .addOption(containerOption())
    .action(async (name: string, description: string, options: HostChoice & { container?: string }) => {
      const service = await session.service(options);
      const container = await session.container(service, options.container);
      const updated = await service.setDescription(container, name, description);
      session.say(updated.description ? `Snapshot '${name}' is now described as '${printable(updated.description, true)}'` : `Snapshot '${name}' has no description now`);
    });

  snapshot
    .command('branch')
    .description('Copy a snapshot into a new container (default name <container>-<snapshot>-copy)')
    .argument('<name>')
    .argument('[new]')
    .addOption(containerOption())
    .option('--member <name>', "in a cluster: the member the copy goes to (default: the source's member)")
    .action(async (name: string, target: string | undefined, options: HostChoice & { container?: string; member?: string }) => {
      const service = await session.service(options);
      const container = await session.container(service, options.container);
      const made = await service.branch(container, name, target, session.wait, options.member);
      session.say(`Created container '${made.name}' from snapshot '${name}' of '${container}'${made.location ? ` on member ${made.location}` : ''}`);
    });

  snapshot
    .command('diff')
    .description('What changed since snapshot SNAP: files and packages, against the container now or snapshot OTHER (older side first)')
    .argument('<snap>')
    .argument('[other]')
    .addOption(containerOption())
    .option('--path <prefix>', 'compare only below this path (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--all-paths', 'include what is left out by default (/proc, /sys, /dev, /run, /tmp, caches)')
    .addOption(formatOption())
    .option('--summary', 'only the counts, not every path')
    .option('--file <path>', "one file's content: a unified diff (binary and large files are summarised)")
    .action(async (snap: string, other: string | undefined, options: DiffOptions) => {
      await (await import('./diff-command')).runDiff(session, snap, other, options);
    });

  for (const command of snapshot.commands) withHostOptions(command);
  snapshot.addCommand(scheduleCommand(session));
  return snapshot;
}

function restoreWarning(container: string, snapshot: string, safetySnapshot: boolean, plan: RestorePlan): string {
  const steps = plan.stops
    ? `This will stop container '${container}', restore it to snapshot '${snapshot}'${plan.startsAgain ? ' and start it again' : ' and leave it stopped'}.`
    : `This will restore container '${container}' to snapshot '${snapshot}'.`;
  const kept = safetySnapshot
    ? 'Changes since the snapshot will be kept only in a pre-restore safety snapshot.'
    : 'All changes since the snapshot will be lost.';
  const replaced = plan.mounts.map(
    (mount) => `\nThe content of ${mount.path} will be replaced by the snapshot's (${mount.files} files${mount.excludes.length ? `; ${mount.excludes.join(', ')} left as they are` : ''}).`,
  );
  return `WARNING: ${steps}${replaced.join('')}\n${kept}`;
}

/**
 * The notice before a restore: the mounted disks it leaves as they are, and a snapshot's archives
 * left out without --include-mounts.
 */
/** The mounted folders a restore leaves as they are, said before it asks for confirmation. */
function sayWhatStays(session: CliSession, snapshot: string, plan: RestorePlan): void {
  const { stays, heldLeft } = plan;
  if (stays.length > 0) session.say(notCapturedText(stays, `; files in ${stays.map((mount) => mount.path).join(', ')} will stay as they are now`));
  if (heldLeft.length > 0) session.say(`snapshot '${snapshot}' holds ${heldLeft.map((mount) => mount.path).join(', ')}: add --include-mounts to put it back too`);
}

function restoreDoneText(result: RestoreResult): string {
  const restored = `Restored container '${result.container}' from snapshot '${result.snapshot}'`;
  if (!result.stopped) return restored;
  return result.startedAgain ? `${restored}; it was stopped for the restore and is running again` : `${restored}; it was stopped for the restore and is left stopped`;
}

async function deleteAll(session: CliSession, service: SnapshotService, container: string, force: boolean): Promise<void> {
  const snapshots = await service.listSnapshots(container);
  if (snapshots.length === 0) return session.say(`No snapshots to delete for container '${container}'`);
  if (!force) {
    const list = snapshots.map((snapshot) => `  - ${snapshot.name}`).join('\n');
    const warning = `WARNING: This will delete ALL ${snapshots.length} snapshot(s) for container '${container}':\n${list}`;
    if (!(await confirm(session.io, warning, `delete all snapshots of '${container}'`))) return session.say('Aborted');
  }
  const names = snapshots.map((snapshot) => snapshot.name);
  const outcomes = await service.deleteMany(container, names, (outcome) => session.io.stderr.write(deleteOutcomeText(outcome)));
  const failed = outcomes.filter((outcome) => !outcome.ok);
  if (failed.length > 0) {
    throw new AppError('operation-failed', `${failed.length} of ${outcomes.length} snapshot(s) could not be deleted: ${someNames(failed.map((f) => f.name))}`);
  }
}
