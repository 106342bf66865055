import type { HostStatus } from '../../../shared/hosts';
import type { Container } from '../../../shared/model';
import { expiryProblem } from '../../../shared/expiry';
import { NAMES_SHOWN } from '../../../shared/names';

export { age, localTime } from '../../../shared/time';

const pad = (value: number) => String(value).padStart(2, '0');

/** The public key file sshd keeps for a key type (`ssh-ed25519` → `/etc/ssh/ssh_host_ed25519_key.pub`), to compare fingerprints on the host. */
export function hostKeyFile(keyType: string): string {
  const kind = keyType.includes('ed25519') ? 'ed25519' : keyType.includes('ecdsa') ? 'ecdsa' : keyType.includes('rsa') ? 'rsa' : keyType.replace(/^ssh-/, '');
  return `/etc/ssh/ssh_host_${kind}_key.pub`;
}

/** "1 container", "3 containers" ("2 expiries" with `plural`). */
export function count(value: number, noun: string, plural = `${noun}s`): string {
  return `${value} ${value === 1 ? noun : plural}`;
}

/** The value of an `<input type="datetime-local">` as an ISO time with this machine's offset. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const at = new Date(iso);
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** The countdown to a host's next reconnection attempt: "retry in 12 s", "retry in 2 min", "retrying now". */
export function retryIn(iso: string, now: number = Date.now()): string {
  const seconds = Math.ceil((Date.parse(iso) - now) / 1000);
  if (Number.isNaN(seconds) || seconds <= 0) return 'retrying now';
  return seconds < 90 ? `retry in ${seconds} s` : `retry in ${Math.round(seconds / 60)} min`;
}

/**
 * A host status in a few words, and whether it is healthy, pending or broken. `now` comes from the
 * shared clock (ui-state), so every place that shows a retry countdown shows the same number.
 */
export function statusLabel(status: HostStatus, now: number = Date.now()): { text: string; tone: 'ok' | 'pending' | 'bad' } {
  switch (status.state) {
    case 'online':
      return { text: `Online · ${status.latencyMs} ms`, tone: 'ok' };
    case 'idle':
    case 'connecting':
      return { text: 'Connecting…', tone: 'pending' };
    case 'offline':
      return { text: status.nextRetryAt ? `Offline · ${retryIn(status.nextRetryAt, now)}` : 'Offline', tone: 'bad' };
    case 'host-key-unknown':
      return { text: isCert(status.keyType) ? 'Unknown certificate' : 'Unknown host key', tone: 'pending' };
    case 'host-key-changed':
      return { text: isCert(status.keyType) ? 'Certificate CHANGED' : 'Host key CHANGED', tone: 'bad' };
    case 'auth-failed':
      return { text: 'Authentication failed', tone: 'bad' };
    case 'permission-denied':
      return { text: 'Permission denied', tone: 'bad' };
    case 'incus-missing':
      return { text: 'Incus not running', tone: 'bad' };
    case 'forwarding-disabled':
      return { text: 'Forwarding disabled', tone: 'bad' };
  }
}

/** Whether a status's key is an HTTPS server's certificate (the core names it so) rather than an SSH key. */
const isCert = (keyType: string) => keyType === 'TLS certificate';

/** What the user should read about a host that is not online: the reason and what to do. */
export function statusHelp(status: HostStatus): string | null {
  switch (status.state) {
    case 'offline':
    case 'auth-failed':
    case 'host-key-changed':
      return status.reason;
    case 'permission-denied':
    case 'incus-missing':
    case 'forwarding-disabled':
      return `${status.reason}`;
    case 'host-key-unknown':
      return isCert(status.keyType)
        ? `This server's TLS certificate is not known yet. Its SHA-256 fingerprint is ${status.fingerprint}. Check it (incus info | grep certificate_fingerprint on the server) before you trust it.`
        : `This host's ${status.keyType} key is not known yet. Its fingerprint is ${status.fingerprint}. Check it (ssh-keygen -lf on the host) before you trust it.`;
    default:
      return null;
  }
}

/** What a dialog says when its snapshot was deleted elsewhere (in a terminal, another window) while it was open. */
export function goneMessage(snapshot: string, container: string): string {
  return `Snapshot ${snapshot} of ${container} no longer exists: it was deleted or renamed elsewhere. Close this dialog and pick another.`;
}

/** Failed deletions (or other writes: `what`) in a few words: the first few names with their reasons, then how many more. */
export function failureSummary(failed: readonly { name: string; error?: string }[], total: number, shownNames = NAMES_SHOWN, what = 'could not be deleted'): string {
  const named = failed.slice(0, shownNames).map((result) => `${result.name}: ${result.error ?? 'failed'}`).join('; ');
  const more = failed.length > shownNames ? `; and ${failed.length - shownNames} more` : '';
  return `${failed.length} of ${total} ${what}: ${named}${more}`;
}

/** An expiry typed in a dialog, checked as the user types with the service's own rule (src/shared/expiry.ts). */
export function expiryInputProblem(iso: string | null): string | undefined {
  return iso ? expiryProblem(iso) : 'pick a date and time';
}

/**
 * A container's schedule for list rows: `short` for the badge beside a clock ("30 min", "hourly",
 * "daily", "weekly": the day and time are in `full`) and `full` for its title and screen readers ("snapshots every 30 minutes"); null
 * without one.
 */
export function scheduleBadge(container: Pick<Container, 'schedule'>): { short: string; full: string } | null {
  const { schedule } = container;
  if (!schedule) return null;
  const short = schedule.replace(/^every /, '').replace(/ minutes?$/, ' min').replace(/ hours?$/, ' h').replace(/ (on|at) .*$/, '');
  return { short, full: `snapshots ${schedule}` };
}
