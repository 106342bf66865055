import { describe, expect, it } from 'vitest';
import { archivableMounts, excludeProblem, heldMounts, HELD_MOUNTS_KEY, mountExcludes, notCaptured, notCapturedBySnapshot } from '../../src/main/snapshots/mounts';

const devices = {
  root: { type: 'disk', path: '/', pool: 'default' },
  workspace: { type: 'disk', path: '/workspace', source: '/home/me/proj' },
  data: { type: 'disk', path: '/data', pool: 'fast', source: 'datavol' },
  docs: { type: 'disk', path: '/docs', source: '/srv/docs', readonly: 'true' },
  eth0: { type: 'nic', network: 'incusbr0' },
};

describe('what snapshots leave out', () => {
  it('lists every disk but the root disk: host folders and custom volumes, by path', () => {
    expect(notCaptured(devices)).toEqual([
      { device: 'data', path: '/data', source: 'fast/datavol', kind: 'custom-volume' },
      { device: 'docs', path: '/docs', source: '/srv/docs', kind: 'host-folder' },
      { device: 'workspace', path: '/workspace', source: '/home/me/proj', kind: 'host-folder' },
    ]);
  });

  it('archives writable host folders only, and a snapshot holding one no longer lists it', () => {
    expect(archivableMounts(devices).map((mount) => mount.device)).toEqual(['workspace']);
    const held = [{ device: 'workspace', path: '/workspace', source: '/home/me/proj', bytes: 10, files: 1, excludes: [] }];
    expect(notCapturedBySnapshot(devices, held).map((mount) => mount.device)).toEqual(['data', 'docs']);
  });

  it('reads the record of held mounts, ignoring one that is not ours', () => {
    expect(heldMounts({})).toEqual([]);
    expect(heldMounts({ [HELD_MOUNTS_KEY]: 'not json' })).toEqual([]);
    expect(heldMounts({ [HELD_MOUNTS_KEY]: '[{"device":"w"}]' })).toEqual([]);
  });

  it('has a default exclude list, takes the container its own, and refuses paths', () => {
    expect(mountExcludes({})).toEqual(['node_modules', '.venv', 'target', 'dist', '.cache']);
    expect(mountExcludes({ 'user.coi-desktop.mount-excludes': 'build, .tox' })).toEqual(['build', '.tox']);
    expect(mountExcludes({ 'user.coi-desktop.mount-excludes': '' })).toEqual([]);
    expect(excludeProblem('node_modules')).toBeNull();
    expect(excludeProblem('a/b')).toMatch(/is a path/);
    expect(excludeProblem('..')).toMatch(/cannot be excluded/);
  });
});
