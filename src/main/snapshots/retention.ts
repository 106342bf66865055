import { planRetention } from '../../shared/retention-engine';
import {
  parseStoredPins,
  parseStoredPolicy,
  PINNED_KEY,
  RETENTION_KEY,
  RetentionPolicySchema,
  type RetentionApplyResult,
  type RetentionEntry,
  type RetentionPlan,
  type RetentionPolicy,
} from '../../shared/retention';
import { snapshotNameProblem } from '../../shared/names';
import type { ListedInstance } from '../incus/instance-list';
import type { IncusClient, WaitOptions } from '../incus/client';
import * as api from '../incus/instances';
import { IncusInterruptedError, isNotFound } from '../incus/errors';
import { AppError, toErrorInfo } from '../errors';
import { afterRunningOperations } from './after-drop';
import { readInstance } from './service';

/**
 * The retention policy's use-cases: the policy is stored on the instance, the plan is the pure
 * engine's (`planRetention`), and applying writes each covered snapshot's `expires_at`, so Incus
 * deletes snapshots on time even when no COI Desktop runs. Nothing here deletes a snapshot itself.
 */

/** The stored policy of an instance; a value that is not a policy is an error that says so, never a guess. */
export function storedPolicy(instance: ListedInstance): RetentionPolicy | null {
  const stored = parseStoredPolicy(instance.expanded_config[RETENTION_KEY]);
  if ('problem' in stored) throw new AppError('invalid-input', `container '${instance.name}': ${stored.problem}`);
  return stored.policy;
}

function storedPins(instance: ListedInstance): string[] {
  const stored = parseStoredPins(instance.expanded_config[PINNED_KEY]);
  if ('problem' in stored) throw new AppError('invalid-input', `container '${instance.name}': ${stored.problem}`);
  return stored.pinned;
}

export async function getPolicy(client: IncusClient, container: string): Promise<RetentionPolicy | null> {
  return storedPolicy(await readInstance(client, container));
}

export async function setPolicy(client: IncusClient, container: string, policy: RetentionPolicy): Promise<RetentionPolicy> {
  const valid = RetentionPolicySchema.parse(policy);
  await readInstance(client, container);
  await api.patchInstanceConfig(client, container, { [RETENTION_KEY]: JSON.stringify(valid) });
  return valid;
}

/** Removes the policy. The expiries it gave stay: each snapshot keeps the one it has. */
export async function policyOff(client: IncusClient, container: string): Promise<void> {
  await readInstance(client, container);
  await api.patchInstanceConfig(client, container, { [RETENTION_KEY]: '' });
}

/** Pins (the policy never touches it) or unpins a snapshot. */
export async function setPinned(client: IncusClient, container: string, snapshot: string, pinned: boolean): Promise<void> {
  const problem = snapshotNameProblem(snapshot);
  if (problem) throw new AppError('invalid-input', problem);
  const instance = await readInstance(client, container);
  if (!instance.snapshots.some((candidate) => candidate.name === snapshot)) {
    throw new AppError('not-found', `snapshot '${snapshot}' not found for container '${container}'`);
  }
  const names = new Set(storedPins(instance).filter((name) => instance.snapshots.some((candidate) => candidate.name === name)));
  if (pinned) names.add(snapshot);
  else names.delete(snapshot);
  await api.patchInstanceConfig(client, container, { [PINNED_KEY]: names.size > 0 ? JSON.stringify([...names].sort()) : '' });
}

/** What `policy` (else the stored one) does to the instance's snapshots at `now`. */
export function planFor(instance: ListedInstance, policy: RetentionPolicy | undefined, now: number): RetentionPlan {
  const chosen = policy ?? storedPolicy(instance);
  if (!chosen) {
    throw new AppError('invalid-input', `container '${instance.name}' has no retention policy: set one with 'coi-desktop retention set -c ${instance.name} --keep-last N …'`);
  }
  const pinned = new Set(storedPins(instance));
  const snapshots = instance.snapshots.map((snapshot) => ({ name: snapshot.name, createdAt: snapshot.created_at, expiresAt: snapshot.expires_at, pinned: pinned.has(snapshot.name) }));
  return planRetention(instance.name, chosen, snapshots, now);
}

export async function previewRetention(client: IncusClient, container: string, policy?: RetentionPolicy, now: number = Date.now()): Promise<RetentionPlan> {
  return planFor(await readInstance(client, container), policy, now);
}

export interface ApplyOptions {
  /** After each write: how many of `total` are done, and the entry written (or failed). */
  onProgress?: (done: number, total: number, entry: RetentionEntry, error?: string) => void;
  wait?: WaitOptions;
}

/**
 * Writes the plan's expiries (only those that change). A `going` snapshot gets the plan's time, in
 * the past by now: Incus deletes it at its next pruning (about a minute). Each write that fails is
 * reported and the others are still made; a snapshot already gone is not a failure. Ctrl-C stops the
 * writes: the one under way is looked up, and the error says how many were made and how many not.
 */
export async function applyPlan(client: IncusClient, plan: RetentionPlan, options: ApplyOptions = {}): Promise<RetentionApplyResult> {
  const writes = plan.entries.filter((entry) => entry.change);
  const failed: RetentionApplyResult['failed'] = [];
  let applied = 0;
  for (const [index, entry] of writes.entries()) {
    let error: string | undefined;
    try {
      // Not abandoned on Ctrl-C (Incus answers at once with its operation), so an interruption names the operation to look up.
      await api.setSnapshotExpiry(client, plan.container, entry.name, entry.expiresAt, { ...options.wait, detached: true });
      applied += 1;
    } catch (cause) {
      if (cause instanceof IncusInterruptedError) throw await interruptedApply(client, plan, writes, index, applied);
      if (!isNotFound(cause)) {
        error = toErrorInfo(cause).message;
        failed.push({ name: entry.name, error });
      }
    }
    options.onProgress?.(index + 1, writes.length, entry, error);
  }
  return { plan, applied, failed };
}

/**
 * Ctrl-C during write `index` of `writes` (`applied` made before it): whether Incus made that one is
 * read back once the container's operations have ended; the ones after it were never sent.
 */
async function interruptedApply(client: IncusClient, plan: RetentionPlan, writes: RetentionEntry[], index: number, applied: number): Promise<IncusInterruptedError> {
  const entry = writes[index]!;
  const detached = client.detached();
  let why = 'the host did not answer';
  const written = await afterRunningOperations(detached, plan.container, async () => sameExpiry((await api.getSnapshot(detached, plan.container, entry.name)).expires_at, entry.expiresAt)).catch(
    (error: unknown) => {
      if (isNotFound(error)) return true; // gone: it was going, and Incus already deleted it
      why = toErrorInfo(error).message;
      return undefined;
    },
  );
  const made = applied + (written === true ? 1 : 0);
  const unknown = written === undefined ? ` (whether the one of '${entry.name}' was could not be found out: ${why})` : '';
  return new IncusInterruptedError(
    `Interrupted: ${made} of ${writes.length} expiry writes on '${plan.container}' were made${unknown}, ${writes.length - made - (written === undefined ? 1 : 0)} not; a snapshot whose expiry has passed is deleted by Incus within a minute. Applying again makes only what is still to change: coi-desktop retention apply -c ${plan.container}`,
  );
}

/** Two expiries alike: both "never" (Incus's zero time), or the same second. */
function sameExpiry(current: string | null | undefined, wanted: string | null): boolean {
  const never = (time: string | null | undefined) => !time || time.startsWith('0001-01-01');
  if (never(current) || never(wanted)) return never(current) && never(wanted);
  return Math.abs(Date.parse(current!) - Date.parse(wanted!)) < 1_000;
}

/** Plans with the stored policy and applies at once (the core's re-apply, and `retention apply -f`). */
export async function applyRetention(client: IncusClient, container: string, options: ApplyOptions & { now?: number } = {}): Promise<RetentionApplyResult> {
  return applyPlan(client, await previewRetention(client, container, undefined, options.now ?? Date.now()), options);
}

/** The instances of a host that have a retention policy stored (a bad one included: applying it reports why). */
export async function instancesWithPolicy(client: IncusClient): Promise<ListedInstance[]> {
  const instances = await api.listInstances(client);
  return instances.filter((instance) => (instance.expanded_config[RETENTION_KEY] ?? '').trim() !== '');
}
