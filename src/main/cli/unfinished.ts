/**
 * Sets the exit code from the command's outcome, and never lets a command that did not finish end
 * with 0: when the event loop empties while `command` is still pending (a promise nothing will ever
 * settle), the process says so and exits 1.
 */
export function exitWhenDone(command: Promise<number>, proc: Pick<NodeJS.Process, 'once' | 'stderr' | 'exitCode'> = process): void {
  let done = false;
  const finish = (code: number) => {
    done = true;
    proc.exitCode = code;
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
