// Runs the command line once main.ts has started its early requests.
import { abandonEarlyGets } from '../incus/early-get';
import { interrupt } from './command-process';
import { runCli } from './program';
import { exitWhenDone } from './unfinished';

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
