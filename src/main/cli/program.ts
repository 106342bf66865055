import { Command, CommanderError } from 'commander';
import { AppError, toErrorInfo } from '../errors';
import { IncusInterruptedError } from '../incus/errors';
import { UsageError, type CliIo } from './io';
import { printable } from './printable';
import type { CliSession } from './session';

export const VERSION = '0.1.0';

/**
 * The top-level commands, in the order `--help` lists them, each loaded only when a command line
 * needs it: `--version` loads none, `snapshot list` only the snapshot commands (and what they use).
 */
const COMMANDS = {
  snapshot: async () => (await import('./snapshot-commands')).snapshotCommand,
  container: async () => (await import('./container-commands')).containerCommand,
  retention: async () => (await import('./retention-commands')).retentionCommand,
  host: async () => (await import('./host-commands')).hostCommand,
  overview: async () => (await import('./host-commands')).overviewCommand,
  backup: async () => (await import('./backup-commands')).backupCommand,
  web: async () => (await import('./web-command')).webCommand,
} satisfies Record<string, () => Promise<(session: CliSession) => Command>>;
type CommandName = keyof typeof COMMANDS;

/** Runs one `coi-desktop` command line; resolves to the exit code (0 ok, 1 error, 2 usage, 130 interrupted). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let session: CliSession | undefined;
  try {
    const needed = commandsFor(argv);
    if (needed.length > 0) session = new (await import('./session')).CliSession(io);
    const program = new Command('coi-desktop').description('Checkpoint, roll back and branch Incus containers').version(VERSION);
    for (const name of needed) program.addCommand((await COMMANDS[name]())(session!));
    // Commands added with addCommand inherit no settings: each one writes to this run's streams.
    for (const command of [program, ...allCommands(program)]) {
      command.exitOverride().configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
      });
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(io, error);
  } finally {
    await session?.close();
  }
}

/**
 * The commands `argv` can reach: the one it names; none for a bare `--version`; every one otherwise
 * (help, an unknown command: commander then lists or suggests them all).
 */
function commandsFor(argv: readonly string[]): CommandName[] {
  const word = argv.find((arg) => !arg.startsWith('-'));
  if (word !== undefined && Object.hasOwn(COMMANDS, word)) return [word as CommandName];
  if (word === undefined && argv.some((arg) => arg === '-V' || arg === '--version') && !argv.some((arg) => arg === '-h' || arg === '--help')) return [];
  return Object.keys(COMMANDS) as CommandName[];
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

function reportError(io: CliIo, error: unknown): number {
  if (io.signal?.aborted) {
    // What the interrupted command says of its state (a restore that stopped the container, an operation
    // Incus goes on with) is the message to keep; a bare "Interrupted" only when there is none.
    const said = error instanceof IncusInterruptedError || error instanceof AppError ? error.message : 'Interrupted';
    io.stderr.write(`${printable(said, true)}\n`);
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
