import { runCli } from './program';

// First Ctrl-C cancels the running Incus operation; a second one stops waiting for it.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (!interrupt.signal.aborted) {
    process.stderr.write('\nStopping…\n');
    interrupt.abort();
    return;
  }
  process.stderr.write('Stopped waiting. An operation already started goes on in Incus: see `incus operation list`.\n');
  process.exit(130);
});

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: interrupt.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`Error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
