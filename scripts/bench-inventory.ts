import type { HostOverview, Snapshot } from '../src/shared/model';

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
