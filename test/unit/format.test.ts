import { describe, expect, it } from 'vitest';
import { humanSize, snapshotListText, table } from '../../src/main/cli/format';
import { printable } from '../../src/main/cli/printable';
import { snapshotDetailJson, snapshotJson } from '../../src/shared/snapshot-json';
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

  it('makes control characters visible: C0, ESC sequences, DEL, C1 and bidi overrides; newlines only in messages', () => {
    expect(printable('\x1b[31mred\x1b[0m \x07\t\r\x7f \x9b2J \u202egnp.exe')).toBe('\\x1b[31mred\\x1b[0m \\x07\\x09\\x0d\\x7f \\x9b2J \\u202egnp.exe');
    expect(printable('line one\nline two')).toBe('line one\\nline two');
    expect(printable('line one\nline two', true)).toBe('line one\nline two');
    expect(printable('plain ünïcode — ok')).toBe('plain ünïcode — ok');
    expect(table(['A'], [['\x1b]0;title\x07']])).toBe('A\n\\x1b]0;title\\x07\n');
  });

  it("prints coi's JSON field names", () => {
    const json = snapshotJson({ name: 's', createdAt: '2026-01-01T00:00:00Z', expiresAt: null, stateful: true, sizeBytes: 10, description: '' });
    expect(Object.keys(json)).toEqual(['name', 'created_at', 'expires_at', 'stateful', 'size', 'description']);
  });

  it("prints coi's snake_case detail shape for snapshot info (and the UI's Copy JSON)", () => {
    const detail = snapshotDetailJson({
      name: 's', createdAt: '2026-01-01T00:00:00Z', expiresAt: null, stateful: false, sizeBytes: null, description: 'd',
      container: 'c', architecture: 'x86_64', ephemeral: false, lastUsedAt: null, profiles: ['default'], config: { 'image.os': 'busybox' }, devices: {},
    });
    expect(detail).toEqual({
      name: 's', created_at: '2026-01-01T00:00:00Z', expires_at: null, stateful: false, size: null, description: 'd',
      container: 'c', last_used_at: null, architecture: 'x86_64', ephemeral: false, profiles: ['default'], config: { 'image.os': 'busybox' }, devices: {},
      mounts_included: [], not_captured: [],
    });
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
