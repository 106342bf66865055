import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InstanceFullSchema } from '../../src/main/incus/api-schemas';
import { IncusProtocolError } from '../../src/main/incus/errors';
import { readInstanceList, readVolumeList } from '../../src/main/incus/instance-list';

const LABEL = 'GET /1.0/instances?recursion=2';
const snapshot = { name: 's1', created_at: '2026-01-02T00:00:00Z', expires_at: '0001-01-01T00:00:00Z', stateful: false, size: 4096, description: null, config: { 'image.os': 'busybox' }, devices: {}, profiles: ['default'] };
const instance = {
  name: 'coi-box',
  status: 'Stopped',
  status_code: 102,
  type: 'container',
  created_at: '2026-01-01T00:00:00Z',
  location: 'member1',
  expanded_config: { 'migration.stateful': 'true' },
  expanded_devices: { root: { type: 'disk', path: '/', pool: 'default' } },
  state: { status: 'Stopped' },
  snapshots: [snapshot, { ...snapshot, name: 's2', expires_at: '2027-01-01T00:00:00Z', size: null, description: 'kept', config: null }],
};

/** What a listing reads, as the zod schemas read it. */
function viaZod(value: unknown) {
  return z.array(InstanceFullSchema).parse(value).map((full) => ({
    name: full.name,
    status: full.status,
    type: full.type,
    created_at: full.created_at,
    location: full.location ?? null,
    expanded_config: full.expanded_config,
    expanded_devices: full.expanded_devices,
    snapshots: full.snapshots.map(({ name, created_at, expires_at, stateful, size, description, config }) => ({ name, created_at, expires_at, stateful, size, description, config })),
  }));
}

describe("the listing's check of the daemon's instances", () => {
  it('reads what the zod schemas read', () => {
    const answers = [[instance], [{ ...instance, location: undefined, snapshots: null, expanded_config: null, expanded_devices: undefined }], []];
    for (const answer of answers) expect(readInstanceList(structuredClone(answer), LABEL)).toEqual(viaZod(structuredClone(answer)));
  });

  it.each([
    [{}, '', 'array'],
    [[{ ...instance, name: 7 }], ' at 0.name', 'string'],
    [[{ ...instance, snapshots: [snapshot, { ...snapshot, stateful: 'no' }] }], ' at 0.snapshots.1.stateful', 'boolean'],
    [[{ ...instance, snapshots: [{ ...snapshot, size: '4k' }] }], ' at 0.snapshots.0.size', 'number'],
    [[{ ...instance, expanded_config: { limits: 1 } }], ' at 0.expanded_config.limits', 'string'],
    [[{ ...instance, expanded_devices: { root: null } }], ' at 0.expanded_devices.root', 'object'],
    [[{ ...instance, snapshots: {} }], ' at 0.snapshots', 'array'],
  ])('refuses a wrong answer and names the field (%#)', (answer, where, expected) => {
    const read = () => readInstanceList(answer, LABEL);
    expect(read).toThrow(IncusProtocolError);
    expect(read).toThrow(`unexpected answer from Incus to ${LABEL}${where}: expected ${expected}`);
    expect(() => viaZod(answer)).toThrow(); // zod refuses it too
  });
});

describe("the listing's check of a pool's volumes", () => {
  const LIST = 'GET /1.0/storage-pools/default/volumes?recursion=1';

  it('keeps the name, type and description (none: empty)', () => {
    const answer = [
      { name: 'coi-box', type: 'container', description: '', config: {}, used_by: [] },
      { name: 'coi-box/s1', type: 'container', description: 'before the upgrade' },
      { name: 'data/s1', type: 'custom', description: null },
      { name: 'bare' },
    ];
    expect(readVolumeList(answer, LIST)).toEqual([
      { name: 'coi-box', type: 'container', description: '' },
      { name: 'coi-box/s1', type: 'container', description: 'before the upgrade' },
      { name: 'data/s1', type: 'custom', description: '' },
      { name: 'bare', type: null, description: '' },
    ]);
  });

  it.each([
    [null, '', 'array'],
    [[{ name: 3 }], ' at 0.name', 'string'],
    [[{ name: 'a' }, { name: 'b', description: 5 }], ' at 1.description', 'string'],
    [['a'], ' at 0', 'object'],
  ])('refuses a wrong answer and names the field (%#)', (answer, where, expected) => {
    expect(() => readVolumeList(answer, LIST)).toThrow(`unexpected answer from Incus to ${LIST}${where}: expected ${expected}`);
  });
});
