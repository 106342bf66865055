import { age, localTime } from './time';

/**
 * Incus prunes expired snapshots about once a minute, so an expiry in the past or within the next
 * minute deletes the snapshot almost at once. One rule for every face: the service enforces it (so
 * the contract and the CLI do), the UI's dialogs show the same message as the user types.
 */
export const MIN_EXPIRY_LEAD_MS = 60_000;

/** Why `expiresAt` (ISO time) is not an acceptable expiry at `now`, or undefined when it is. */
export function expiryProblem(expiresAt: string, now: Date = new Date()): string | undefined {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return `the expiry '${expiresAt}' is not a time such as 2026-12-31T18:00:00Z`;
  if (at - now.getTime() > MIN_EXPIRY_LEAD_MS) return undefined;
  const when = at <= now.getTime() ? 'is in the past' : 'is less than a minute away';
  return `the expiry ${localTime(expiresAt)} ${when}: Incus would delete the snapshot within a minute; pick a later time or no expiry`;
}

/** Whether Incus may already have deleted, or is about to delete, a snapshot with this expiry. */
export function isExpired(expiresAt: string | null, now: number = Date.now()): boolean {
  return expiresAt !== null && Date.parse(expiresAt) <= now;
}

/**
 * A snapshot's expiry in words for a row or a badge: "expires in 4 days", or for one whose time has
 * passed "expired, Incus deletes it at its next pruning" (never "expires 2522 days ago"); null when
 * it never expires.
 */
export function expiryText(expiresAt: string | null, now: number = Date.now()): string | null {
  if (expiresAt === null) return null;
  if (isExpired(expiresAt, now)) return 'expired, Incus deletes it at its next pruning';
  return `expires ${age(expiresAt, now)}`;
}
