import { z } from 'zod';

/**
 * Name rules checked by us before any request reaches Incus.
 *
 * Incus 6.0.4 accepts a snapshot named `..` and then copies into the pool's shared snapshot
 * directory, destroying other containers' snapshots. So snapshot names are held to a conservative
 * pattern, and every rule has its own message so the user knows what to change.
 */
export const SNAPSHOT_NAME_MAX = 63;
const SNAPSHOT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Returns why `name` is not an acceptable snapshot name, or undefined when it is. */
export function snapshotNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a snapshot name must not be empty';
  if (name === '.' || name === '..') return `'${name}' is not a snapshot name (it names a directory)`;
  if (name.startsWith('.')) return `snapshot name '${name}' must not start with '.'`;
  if (name.includes('/')) return `snapshot name '${name}' must not contain '/'`;
  if (/\s/.test(name)) return `snapshot name '${name}' must not contain whitespace`;
  if (name.length > SNAPSHOT_NAME_MAX) {
    return `snapshot name '${name}' is ${name.length} characters long; the limit is ${SNAPSHOT_NAME_MAX}`;
  }
  if (!SNAPSHOT_NAME_PATTERN.test(name)) {
    return `snapshot name '${name}' may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit`;
  }
  return undefined;
}

export const INSTANCE_NAME_MAX = 63;
const INSTANCE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;

/** Incus instance names are host names: a letter first, then letters, digits and '-', not ending in '-'. */
export function instanceNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a container name must not be empty';
  if (name.length > INSTANCE_NAME_MAX) {
    return `container name '${name}' is ${name.length} characters long; the limit is ${INSTANCE_NAME_MAX}`;
  }
  if (!INSTANCE_NAME_PATTERN.test(name) || name.endsWith('-')) {
    return `container name '${name}' must start with a letter, hold only letters, digits and '-', and not end with '-'`;
  }
  return undefined;
}

/** The name rules as zod schemas, with the same messages, for the contract's inputs. */
export const SnapshotNameSchema = z.string().max(200).superRefine((name, ctx) => {
  const problem = snapshotNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const InstanceNameSchema = z.string().max(200).superRefine((name, ctx) => {
  const problem = instanceNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** How many names an error message lists before it gives only the count. */
export const NAMES_SHOWN = 5;

/** "a, b, c, d, e, …": the first few names, never hundreds (the message says how many there are). */
export function someNames(names: readonly string[], shown: number = NAMES_SHOWN): string {
  return names.slice(0, shown).join(', ') + (names.length > shown ? ', …' : '');
}

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * `<prefix>-YYYYMMDD-HHMMSS` in this machine's local time, as `coi snapshot create` names a snapshot:
 * the core names snapshots with it, and the UI prefills the same name.
 */
export function timestampedName(prefix: string, at: Date): string {
  const day = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}`;
  const time = `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `${prefix}-${day}-${time}`;
}
