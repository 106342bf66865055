import { resolve } from 'node:path';
import { Command } from 'commander';
import { humanSize } from '../../shared/size';
import { defaultBackupFileName } from '../backups/export';
import type { TemporaryJournal } from '../app/temporaries';
import { exportToFile, importFromFile, type TransferHooks } from '../backups/files';
import { progressLine } from '../backups/progress';
import { withHostOptions } from './options';
import { printable } from './printable';
import type { CliSession, HostChoice } from './session';

interface ExportOptions extends HostChoice {
  container?: string;
  snapshot?: string;
  output?: string;
  instanceOnly?: boolean;
  optimized?: boolean;
}

export function backupCommand(session: CliSession): Command {
  const backup = new Command('backup').description('Export a container (or one snapshot) to a file, and import such a file on any host');

  backup
    .command('export')
    .description('Stream a backup of the container to a local file; the server-side backup is removed afterwards')
    .option('-c, --container <name>', 'container (default: COI_CONTAINER, else the workspace container)')
    .option('--snapshot <name>', 'export the container as it was at this snapshot')
    .option('-o, --output <file>', 'the file to write (default: <container>-<snapshot or time>.tar.gz here)')
    .option('--instance-only', "leave the container's snapshots out")
    .option('--optimized', "the storage driver's own format: faster, but only importable on the same driver")
    .action(async (options: ExportOptions) => {
      const service = await session.service(options);
      const container = await session.container(service, options.container);
      const request = { container, snapshot: options.snapshot, instanceOnly: options.instanceOnly, optimized: options.optimized };
      const target = resolve(session.io.cwd, options.output ?? defaultBackupFileName(request, new Date()));
      const core = await session.core(options);
      const host = options.host ?? 'local';
      const result = await exportToFile(core.pool.client(host), request, target, hooks(session, core.temporaries(host)));
      session.say(`Exported '${container}'${options.snapshot ? ` at snapshot '${options.snapshot}'` : ''} to ${result.path} (${humanSize(result.bytes)})`);
      session.io.stdout.write(`${result.sha256}  ${result.path}\n`);
    });

  backup
    .command('import')
    .description('Create an instance from a backup file (its own name, or --name)')
    .argument('<file>')
    .option('--name <name>', 'the new instance name (default: the name in the backup; a taken name is refused)')
    .action(async (file: string, options: HostChoice & { name?: string }) => {
      const core = await session.core(options);
      const host = options.host ?? 'local';
      const result = await importFromFile(core.pool.client(host), resolve(session.io.cwd, file), options.name, hooks(session, core.temporaries(host)));
      session.say(`Imported ${file} (${humanSize(result.bytes)}) as '${result.name ?? 'the name in the backup'}'`);
    });

  for (const command of backup.commands) withHostOptions(command);
  return backup;
}

/** Ctrl-C stops the transfer; steps and progress show on a terminal's stderr only, notices always. */
function hooks(session: CliSession, journal: TemporaryJournal): TransferHooks {
  const { io } = session;
  const always: TransferHooks = { signal: io.signal, journal, onNotice: (message) => session.say(message) };
  if (!io.stderr.isTTY) return always;
  return {
    ...always,
    onStage: (message) => io.stderr.write(`\r\x1b[K${printable(message)}`),
    onProgress: (progress) => io.stderr.write(`\r\x1b[K${progressLine(progress)}`),
  };
}
