import { Command, CommanderError } from 'commander';
import { toErrorInfo } from '../errors';
import { IncusInterruptedError } from '../incus/errors';
import { containerCommand } from './container-commands';
import { printable } from './format';
import { hostCommand, overviewCommand } from './host-commands';
import { webCommand } from './web-command';
import { UsageError, type CliIo } from './io';
import { CliSession } from './session';
import { snapshotCommand } from './snapshot-commands';

export const VERSION = '0.1.0';

/** Runs one `coi-desktop` command line; resolves to the exit code (0 ok, 1 error, 2 usage, 130 interrupted). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const session = new CliSession(io);
  const program = new Command('coi-desktop')
    .description('Checkpoint, roll back and branch Incus containers')
    .version(VERSION)
    .addCommand(snapshotCommand(session))
    .addCommand(containerCommand(session))
    .addCommand(hostCommand(session))
    .addCommand(overviewCommand(session))
    .addCommand(webCommand(session));
  // Commands added with addCommand inherit no settings: each one writes to this run's streams.
  for (const command of [program, ...allCommands(program)]) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(io, error);
  } finally {
    await session.close();
  }
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

function reportError(io: CliIo, error: unknown): number {
  if (io.signal?.aborted) {
    io.stderr.write(`${printable(error instanceof IncusInterruptedError ? error.message : 'Interrupted', true)}\n`);
    return 130;
  }
  if (error instanceof CommanderError) {
    const helpShown = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    return helpShown ? 0 : 2;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`Error: ${printable(error.message, true)}\n`);
    return 2;
  }
  io.stderr.write(`Error: ${printable(toErrorInfo(error).message, true)}\n`);
  return 1;
}
