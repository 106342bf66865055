import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { AppError } from '../errors';

/** What the CLI reads and writes; `process` in real use, streams in tests. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on Ctrl-C: the running Incus operation is cancelled where the daemon allows it. */
  signal?: AbortSignal;
}

/** A wrong command line: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Shows `warning` and asks "Continue?" on the terminal; true only for y/yes. Without a terminal
 * there is nobody to ask, so a destructive command refuses rather than guessing.
 */
export async function confirm(io: CliIo, warning: string, action: string): Promise<boolean> {
  if (!io.stdin.isTTY) {
    throw new AppError(
      'confirmation-required',
      `refusing to ${action} without confirmation: standard input is not a terminal; add -f/--force to go ahead`,
    );
  }
  io.stderr.write(`${warning}\n\n`);
  const prompt = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    const answer = await prompt.question('Continue? [y/N]: ');
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    prompt.close();
  }
}
