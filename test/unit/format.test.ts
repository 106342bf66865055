import { describe, expect, it } from 'vitest';
import { humanSize, snapshotListText, table } from '../../src/main/cli/format';
import { snapshotJson } from '../../src/shared/snapshot-json';
import { progressText } from '../../src/main/incus/progress';
import type { Operation } from '../../src/main/incus/api-schemas';

describe('CLI text', () => {
  it('pads table columns to the widest cell', () => {
    expect(table(['A', 'LONG'], [['xyz', '1'], ['q', '22']])).toBe('A    LONG\nxyz  1\nq    22\n');
  });

  it('says sizes in binary units', () => {
    expect(humanSize(null)).toBe('-');
    expect(humanSize(512)).toBe('512 B');
    expect(humanSize(1536)).toBe('1.5 KiB');
    expect(humanSize(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('lists no snapshots as (none) with a total', () => {
    expect(snapshotListText('c1', [])).toBe('Snapshots for c1:\n\n(none)\n\nTotal: 0 snapshots\n');
  });

  it("prints coi's JSON field names", () => {
    const json = snapshotJson({ name: 's', createdAt: '2026-01-01T00:00:00Z', expiresAt: null, stateful: true, sizeBytes: 10, description: '' });
    expect(Object.keys(json)).toEqual(['name', 'created_at', 'expires_at', 'stateful', 'size', 'description']);
  });
});

describe('operation progress text', () => {
  const op = (metadata: Record<string, unknown> | null): Operation => ({
    id: '1', class: 'task', description: 'Creating instance', created_at: '', status: 'Running', status_code: 103, metadata, may_cancel: false, err: '',
  });

  it('reads structured, legacy and missing progress', () => {
    expect(progressText(op({ progress: { stage: 'unpack', percent: '40' } }))).toBe('Creating instance: unpack: 40%');
    expect(progressText(op({ create_instance_from_image_unpack_progress: 'Unpack: 80%' }))).toBe('Creating instance: Unpack: 80%');
    expect(progressText(op(null))).toBe('Creating instance…');
  });
});
