import { describe, expect, it } from 'vitest';
import { isCoiContainer, workspaceContainers, workspaceHash } from '../../src/main/snapshots/coi-naming';
import { branchName, freeName } from '../../src/main/snapshots/naming';
import { timestampedName } from '../../src/shared/names';
import { instanceNameProblem } from '../../src/shared/names';

describe('auto names', () => {
  it('formats snap-YYYYMMDD-HHMMSS in local time with zero padding', () => {
    expect(timestampedName('snap', new Date(2026, 0, 2, 3, 4, 5))).toBe('snap-20260102-030405');
    expect(timestampedName('pre-restore', new Date(2026, 11, 31, 23, 59, 59))).toBe('pre-restore-20261231-235959');
  });

  it('picks the first free numbered name', () => {
    expect(freeName('snap-1', new Set())).toBe('snap-1');
    expect(freeName('snap-1', new Set(['snap-1', 'snap-1-2']))).toBe('snap-1-3');
  });

  it('shortens the stem so a numbered name still fits the limit', () => {
    const base = 'a'.repeat(10);
    expect(freeName(base, new Set([base]), 10)).toBe(`${'a'.repeat(8)}-2`);
  });
});

describe('branch names', () => {
  it('is <container>-<snapshot>-copy, numbered when taken', () => {
    expect(branchName('coi-ab12cd34-1', 'snap-1', new Set())).toBe('coi-ab12cd34-1-snap-1-copy');
    expect(branchName('web', 'snap', new Set(['web-snap-copy']))).toBe('web-snap-copy-2');
  });

  it('turns snapshot characters a host name cannot hold into dashes and stays a valid name', () => {
    const name = branchName('web', 'v1.2_final', new Set());
    expect(name).toBe('web-v1-2-final-copy');
    const long = branchName('c'.repeat(60), 's'.repeat(60), new Set());
    expect(instanceNameProblem(long)).toBeUndefined();
    expect(long.endsWith('-copy')).toBe(true);
  });
});

describe('code-on-incus container names', () => {
  it('hashes the absolute workspace path as coi does (first 8 hex of sha256)', () => {
    // printf %s /home/ada/project | sha256sum → 6bfafd92…
    expect(workspaceHash('/home/ada/project')).toBe('6bfafd92');
    expect(workspaceHash('/home/ada/project/../project')).toBe('6bfafd92');
  });

  it("finds a workspace's containers among others, ordered by slot", () => {
    const names = ['coi-6bfafd92-10', 'coi-6bfafd92-2', 'coi-ffffffff-1', 'coi-6bfafd92-x', 'web'];
    expect(workspaceContainers(names, '/home/ada/project', 'coi-')).toEqual(['coi-6bfafd92-2', 'coi-6bfafd92-10']);
    expect(isCoiContainer('coi-ffffffff-1', 'coi-')).toBe(true);
    expect(isCoiContainer('web', 'coi-')).toBe(false);
  });
});
