import { AppError } from '../errors';
import type { ExecResult } from './connection';

export interface DiagnosisTarget {
  label: string;
  user: string;
  /** The socket paths that were tried. */
  socketPaths: readonly string[];
}

/**
 * The shell command that tells apart what sshd reports as the same "Channel open failure": one
 * line per socket (`socket PATH writable|denied|missing`), the user's groups and whether incus exists.
 */
export function diagnosticCommand(socketPaths: readonly string[]): string {
  const quoted = socketPaths.map((path) => `'${path.replace(/'/g, "'\\''")}'`).join(' ');
  return [
    'echo "groups $(id -Gn)"',
    'if command -v incus >/dev/null 2>&1; then echo "incus yes"; else echo "incus no"; fi',
    `for s in ${quoted}; do if [ -S "$s" ]; then if [ -w "$s" ]; then echo "socket $s writable"; else echo "socket $s denied"; fi; else echo "socket $s missing"; fi; done`,
  ].join('; ');
}

/** Why a stream-local channel to the Incus socket was refused, and the fix, from the diagnostic's output. */
export function diagnose(result: ExecResult, target: DiagnosisTarget): AppError {
  const lines = result.stdout.split('\n');
  const sockets = lines.filter((line) => line.startsWith('socket ')).map((line) => line.split(' '));
  const writable = sockets.find((fields) => fields[2] === 'writable');
  const denied = sockets.find((fields) => fields[2] === 'denied');
  const groups = lines.find((line) => line.startsWith('groups '))?.slice('groups '.length) ?? '?';
  if (result.code !== 0 || sockets.length === 0) {
    return new AppError('forwarding-disabled', `${target.label} refused the channel to Incus, and the diagnostic command could not run (${result.stderr.trim() || `exit ${result.code}`})`);
  }
  if (writable) {
    return new AppError(
      'forwarding-disabled',
      `sshd on ${target.label} refuses to forward to the Incus socket ${writable[1]} (stream-local forwarding is disabled). Fix: set 'AllowStreamLocalForwarding yes' (and no 'DisableForwarding yes') in /etc/ssh/sshd_config there, then reload sshd (sudo systemctl reload ssh).`,
      { fix: 'AllowStreamLocalForwarding yes' },
    );
  }
  if (denied) {
    const group = denied[1]?.endsWith('.user') ? 'incus' : 'incus-admin';
    return new AppError(
      'permission-denied',
      `${target.user} on ${target.label} may not use Incus: ${denied[1]} is not writable for them (groups: ${groups}). Fix: run 'sudo usermod -aG ${group} ${target.user}' there, then reconnect (COI Desktop opens a new SSH session so the new group applies).`,
      { fix: `sudo usermod -aG ${group} ${target.user}` },
    );
  }
  const installed = lines.includes('incus yes');
  const where = target.socketPaths.join(' or ');
  return new AppError(
    'incus-missing',
    installed
      ? `Incus is installed on ${target.label} but its daemon is not running (no socket at ${where}). Fix: start it (sudo systemctl start incus) and initialise it once (sudo incus admin init).`
      : `Incus is not installed on ${target.label} (no socket at ${where}, no incus command). Fix: install it (e.g. sudo apt install incus) and run sudo incus admin init.`,
    { fix: installed ? 'sudo systemctl start incus' : 'sudo apt install incus' },
  );
}
