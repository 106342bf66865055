import type { HostOverview, Snapshot } from '../src/shared/model';
import type { Fixtures } from '../test/helpers/incus';

/** The recorded inventory of one host, scaled up: `hosts` hosts × `containers` containers × `snapshots` snapshots. */
export function scale(recorded: HostOverview, hosts: number, containers: number, snapshots: number): HostOverview[] {
  const base = recorded.containers;
  const seed = base.flatMap((container) => container.snapshots);
  return Array.from({ length: hosts }, (_, h) => ({
    host: `host-${String(h).padStart(2, '0')}`,
    status: { state: 'online' as const, latencyMs: 10 + h },
    containers: Array.from({ length: containers }, (_, c) => {
      const model = base[c % base.length]!;
      const list: Snapshot[] = Array.from({ length: snapshots }, (_, s) => {
        const from = seed[(c + s) % seed.length]!;
        return { ...from, name: `snap-${String(s).padStart(3, '0')}-${from.name}`.slice(0, 63), createdAt: new Date(Date.parse(from.createdAt) - s * 3_600_000).toISOString() };
      });
      return { ...model, name: `coi-${(h * containers + c).toString(16).padStart(8, '0')}-1`, coi: true, snapshots: list };
    }),
  }));
}

/** `containers` stopped containers × `snapshots` snapshots in `own`'s project, four at a time; their names. */
export async function createInventory(own: Fixtures, containers: number, snapshots: number): Promise<string[]> {
  const names = Array.from({ length: containers }, (_, i) => `coi-${i.toString(16).padStart(8, '0')}-1`);
  const queue = [...names];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      await own.launch(name, { stopped: true });
      for (let s = 0; s < snapshots; s += 1) await own.incus('snapshot', 'create', name, `snap-${s}`);
    }
  }));
  return names;
}
