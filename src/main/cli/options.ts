import { Option, type Command } from 'commander';

/** `--format text|json`, which every listing command takes. */
export const formatOption = () => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');

/** `--trust-fingerprint`: a first connection to a host trusts its SSH key if it has this fingerprint. */
export const trustOption = () => new Option('--trust-fingerprint <fingerprint>', "trust the host's SSH key if its fingerprint is this SHA256:… value");

/** `--host NAME` (default: the local Incus) and `--trust-fingerprint SHA256:…` for a first connection. */
export function withHostOptions(command: Command): Command {
  return command.option('-H, --host <name>', 'the host to act on (see `coi-desktop host list`)', 'local').addOption(trustOption());
}
