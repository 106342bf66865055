import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { runCli } from '../../src/main/cli/program';
import { findLocalSocket } from '../../src/main/incus/local-socket';
import { runProcess, type ProcessRun } from './incus';
import { SocketProxy } from './socket-proxy';

export type CliRun = ProcessRun;

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Pretend standard input is a terminal and type these lines when the prompt appears. */
  tty?: { answers: string[]; beforeAnswer?: () => Promise<void> };
}

/** Tests never read or write the user's own host registry. */
const ownConfigDir = mkdtempSync(join(tmpdir(), 'coi-cli-config-'));

function collector(sink: string[], onWrite?: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.push(chunk.toString());
      onWrite?.(chunk.toString());
      done();
    },
  });
}

/** Runs `coi-desktop ARGS` in this process with its own streams. */
export async function cli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = Object.assign(new PassThrough(), { isTTY: Boolean(options.tty) });
  const answers = [...(options.tty?.answers ?? [])];
  const answerPrompt = (text: string) => {
    if (!text.includes('[y/N]') && !text.includes('Enter passphrase')) return;
    void (options.tty?.beforeAnswer?.() ?? Promise.resolve()).then(() => stdin.write(`${answers.shift() ?? ''}\n`));
  };
  const env = { ...process.env, COI_CONTAINER: undefined, COI_DESKTOP_CONFIG_DIR: ownConfigDir, ...options.env };
  const code = await runCli(args, {
    stdout: collector(out),
    stderr: collector(err, answerPrompt),
    stdin,
    env,
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

export const BUILT_BIN = join(__dirname, '..', '..', 'bin', 'coi-desktop.cjs');

function requireBuilt(): void {
  if (!existsSync(join(__dirname, '..', '..', 'out', 'main', 'cli.js'))) {
    throw new Error('the CLI is not built: run `npm run build` (npm test does) before this test');
  }
}

/** Runs the built `coi-desktop` command as a user would (after `npm run build`). */
export function cliProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  requireBuilt();
  return runProcess(process.execPath, [BUILT_BIN, ...args], { ...process.env, COI_DESKTOP_CONFIG_DIR: ownConfigDir, ...env });
}

/** Starts the built `coi-desktop` command with piped stdout and stderr, for tests that signal it or close its pipes. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessByStdio<null, Readable, Readable> {
  requireBuilt();
  return spawn(process.execPath, [BUILT_BIN, ...args], { env: { ...process.env, COI_DESKTOP_CONFIG_DIR: ownConfigDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The exit code (or 128 + signal number) and what the process wrote to stderr. */
export function exited(child: ChildProcessByStdio<null, Readable, Readable>): Promise<{ code: number; stderr: string }> {
  const err: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stderr: Buffer.concat(err).toString() }));
  });
}

/**
 * Runs the built command through a proxy in front of the real daemon that keeps it waiting for the
 * answer to the request containing `step` (or to the next one containing `then` after it), and presses
 * Ctrl-C there: the moment a user interrupts, whatever the daemon's speed.
 */
export async function interruptedAt(args: string[], step: string, then?: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  const proxy = new SocketProxy(findLocalSocket());
  await proxy.resume();
  const held = proxy.holdAnswersAfter(step, then);
  const child = spawnCli(args, { INCUS_SOCKET: proxy.path, ...env });
  const done = exited(child);
  await held;
  child.kill('SIGINT');
  const run = await done;
  await proxy.cut();
  return run;
}
