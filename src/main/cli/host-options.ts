import type { Command } from 'commander';

/** `--host NAME` (default: the local Incus) and `--trust-fingerprint SHA256:…` for a first connection. */
export function withHostOptions(command: Command): Command {
  return command
    .option('-H, --host <name>', 'the host to act on (see `coi-desktop host list`)', 'local')
    .option('--trust-fingerprint <fingerprint>', "trust the host's SSH key if its fingerprint is this SHA256:… value");
}
