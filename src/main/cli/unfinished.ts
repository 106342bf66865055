/** How long the process may go on after its command has ended before `exitWhenDone` ends it. */
const LINGER_MS = 10_000;

/**
 * Sets the exit code from the command's outcome, and never lets a command that did not finish end
 * with 0: when the event loop empties while `command` is still pending (a promise nothing will ever
 * settle), the process says so and exits 1. A process still busy `lingerMs` after its command ended
 * (something it started left running: a request asked again and again kept one alive a minute after
 * its error) says so and exits with the command's code.
 */
export function exitWhenDone(command: Promise<number>, proc: Pick<NodeJS.Process, 'once' | 'stderr' | 'exitCode' | 'exit'> = process, lingerMs = LINGER_MS): void {
  let done = false;
  const finish = (code: number) => {
    done = true;
    proc.exitCode = code;
    setTimeout(() => {
      proc.stderr.write(`Warning: coi-desktop was still busy ${lingerMs / 1000} s after the command ended (something it started was left running) and quit without waiting for it; what the command reported stands\n`);
      proc.exit(code);
    }, lingerMs).unref();
  };
  command.then(finish, (error: unknown) => {
    proc.stderr.write(`Error: ${String(error)}\n`);
    finish(1);
  });
  proc.once('beforeExit', () => {
    if (done) return;
    proc.stderr.write('Error: the command ended before it finished (nothing was left to wait for: a connection closed without an answer); it may not have been carried out\n');
    finish(1);
  });
}
