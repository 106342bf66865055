// Runs the command line once main.ts has started its early requests.
import { abandonEarlyGets } from '../incus/early-get';
import { dropOutputToClosedPipe } from './io';
import { runCli } from './program';
import { exitWhenDone } from './unfinished';

// The first Ctrl-C abandons the pending request, cancels the running Incus operation where the
// daemon allows it, and ends the command (exit code 130); a second one exits at once.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (!interrupt.signal.aborted) {
    process.stderr.write('\nStopping… (Ctrl-C again quits at once)\n');
    interrupt.abort();
    return;
  }
  process.stderr.write('Quit at once. An operation already started may go on in Incus: see `incus operation list`.\n');
  process.exit(130);
});

dropOutputToClosedPipe(process.stdout);
dropOutputToClosedPipe(process.stderr);

exitWhenDone(
  runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: interrupt.signal,
  }).finally(abandonEarlyGets),
);
