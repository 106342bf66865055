import { Option, type Command } from 'commander';

/** `--format text|json`, which every listing command takes. */
export const formatOption = () => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');

/** `--trust-fingerprint`: a first connection to a host trusts its SSH key (or HTTPS certificate) if it has this fingerprint. */
export const trustOption = () =>
  new Option('--trust-fingerprint <fingerprint>', "trust the host's SSH key if its fingerprint is this SHA256:… value (an HTTPS server's certificate: its SHA-256 in hex)").argParser(normalizeFingerprint);

/** A certificate's SHA-256 as Incus prints it (lowercase hex), from any common spelling (colons, capitals). */
export function certFingerprintOf(text: string): string | undefined {
  const hex = text.replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** SSH fingerprints stay as given; certificate fingerprints are made lowercase hex. */
function normalizeFingerprint(text: string): string {
  return text.startsWith('SHA256:') ? text : (certFingerprintOf(text) ?? text);
}

/** `--host NAME` (default: the local Incus) and `--trust-fingerprint SHA256:…` for a first connection. */
export function withHostOptions(command: Command): Command {
  return command.option('-H, --host <name>', 'the host to act on (see `coi-desktop host list`)', 'local').addOption(trustOption());
}
