import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { AppError } from '../errors';
import { printable } from './printable';

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
  io.stderr.write(`${printable(warning, true)}\n\n`);
  const answer = await ask(io, 'Continue? [y/N]: ');
  return answer !== null && /^y(es)?$/i.test(answer.trim());
}

/** One line typed on the terminal after `question`; null when input ends; Ctrl-C (the io's signal) throws. */
export async function ask(io: CliIo, question: string): Promise<string | null> {
  const prompt = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    return await prompt.question(question, io.signal ? { signal: io.signal } : {});
  } catch (error) {
    if (io.signal?.aborted) throw error;
    return null;
  } finally {
    prompt.close();
  }
}

/** A secret typed on the terminal without echo; null on Ctrl-C or Ctrl-D. */
export function askSecret(io: CliIo, question: string): Promise<string | null> {
  const stdin = io.stdin as CliIo['stdin'] & { setRawMode?: (raw: boolean) => void };
  if (!stdin.setRawMode) return ask(io, question);
  io.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let typed = '';
  return new Promise((resolve) => {
    const finish = (value: string | null) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(typed);
        if (char === '\u0003' || char === '\u0004') return finish(null);
        typed = char === '\u007f' || char === '\b' ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData);
  });
}
