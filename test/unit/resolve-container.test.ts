import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/main/errors';
import { workspaceHash } from '../../src/main/snapshots/coi-naming';
import { resolveContainer } from '../../src/main/snapshots/resolve-container';

const workspace = '/home/ada/project';
const mine = (slot: number) => `coi-${workspaceHash(workspace)}-${slot}`;
const existing = [mine(1), 'coi-ffffffff-1', 'other'];

function errorOf(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an error');
}

describe('which container a command means', () => {
  it('takes the explicit choice over COI_CONTAINER and the workspace', () => {
    expect(resolveContainer({ explicit: 'other', fromEnv: 'coi-ffffffff-1', workspace, prefix: 'coi-' }, existing)).toEqual({ name: 'other', source: 'explicit' });
  });

  it('takes COI_CONTAINER over the workspace', () => {
    expect(resolveContainer({ fromEnv: 'coi-ffffffff-1', workspace, prefix: 'coi-' }, existing)).toEqual({ name: 'coi-ffffffff-1', source: 'env' });
  });

  it("takes the workspace's one container", () => {
    expect(resolveContainer({ workspace, prefix: 'coi-' }, existing)).toEqual({ name: mine(1), source: 'workspace' });
  });

  it('says where a missing explicit or COI_CONTAINER name came from', () => {
    expect(errorOf(() => resolveContainer({ explicit: 'gone', workspace, prefix: 'coi-' }, existing)).message).toBe("container 'gone' not found");
    expect(errorOf(() => resolveContainer({ fromEnv: 'gone', workspace, prefix: 'coi-' }, existing)).message).toBe("container 'gone' from COI_CONTAINER not found");
  });

  it('lists the candidates as coi does when the workspace has several', () => {
    const error = errorOf(() => resolveContainer({ workspace, prefix: 'coi-' }, [mine(2), mine(1)]));
    expect(error.code).toBe('ambiguous-container');
    expect(error.message).toBe(`multiple COI containers found for workspace, use --container to specify: ${mine(1)}, ${mine(2)}`);
  });

  it('lists the COI containers there are when the workspace has none', () => {
    const error = errorOf(() => resolveContainer({ workspace: '/elsewhere', prefix: 'coi-' }, existing));
    expect(error.code).toBe('no-container');
    expect(error.message).toMatch(/no COI container found for workspace \/elsewhere .*COI containers here: coi-6bfafd92-1, coi-ffffffff-1\./);
    expect(error.details).toEqual({ candidates: [mine(1), 'coi-ffffffff-1'] });
  });

  it('honours another prefix', () => {
    const names = [`dev-${workspaceHash(workspace)}-1`, mine(1)];
    expect(resolveContainer({ workspace, prefix: 'dev-' }, names).name).toBe(names[0]);
  });
});
