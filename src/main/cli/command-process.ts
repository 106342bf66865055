// What a `coi-desktop` command does with its own process, loaded by the full CLI (run-command.ts) and
// by the local listing (local-list.ts) alike: Ctrl-C, and a reader of its output that went away.

/**
 * Aborted at the first Ctrl-C: the pending request is abandoned, the running Incus operation cancelled
 * where the daemon allows it, and the command ends (exit code 130); a second Ctrl-C exits at once.
 */
export const interrupt = new AbortController();

process.on('SIGINT', () => {
  if (!interrupt.signal.aborted) {
    process.stderr.write('\nStopping… (Ctrl-C again quits at once)\n');
    interrupt.abort();
    return;
  }
  process.stderr.write('Quit at once. An operation already started may go on in Incus: see `incus operation list`.\n');
  process.exit(130);
});

/**
 * A reader that has gone away (`| head -c 10`) is no error: what is written after that is dropped,
 * and the command ends as it would have, without a stack trace. Any other write error (a full disk,
 * `> /dev/full`) ends the command with exit code 1 and one line on standard error that says so.
 */
function dropOutputToClosedPipe(stream: NodeJS.WritableStream, name: string): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    const other = stream === process.stderr ? undefined : process.stderr;
    other?.write(`Error: could not write to ${name} (${error.code ?? error.message}); what the command did before that stands, its output is incomplete\n`);
    process.exit(1);
  });
}

dropOutputToClosedPipe(process.stdout, 'standard output');
dropOutputToClosedPipe(process.stderr, 'standard error');
