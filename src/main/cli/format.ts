import type { HostConfig, HostStatus } from '../../shared/hosts';
import type { ClusterMember, Container, DeleteOutcome, HeldMount, HostOverview, HostTestResult, NotCaptured, Snapshot, SnapshotDetail } from '../../shared/model';
import { humanSize } from '../../shared/size';
import { notCapturedJson } from '../../shared/snapshot-json';
import { describeMount } from '../snapshots/mounts';
import { printable } from './printable';

export { toJson } from '../../shared/snapshot-json';

export function containerJson(container: Container) {
  return {
    name: container.name,
    status: container.status,
    type: container.type,
    created_at: container.createdAt,
    coi: container.coi,
    stateful_capable: container.statefulCapable,
    snapshot_count: container.snapshots.length,
    newest_snapshot: container.snapshots[0]?.name ?? null,
    not_captured: (container.notCaptured ?? []).map(notCapturedJson),
    ...(container.location ? { location: container.location } : {}),
    ...(container.unreachable ? { unreachable: container.unreachable } : {}),
  };
}

// C0 controls, DEL, C1 controls (CSI and OSC among them) and the bidirectional overrides that
// reorder what a terminal shows; `\n` is matched separately so messages may keep their lines.
/** Columns padded to their widest cell, two spaces apart; every cell printable. */
export function table(headers: readonly string[], table: readonly (readonly string[])[]): string {
  const rows = table.map((row) => row.map((cell) => printable(cell)));
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const pad = (value: number) => String(value).padStart(2, '0');

/** A time in this machine's local zone: `YYYY-MM-DD HH:MM:SS`; `-` for none. */
export function localTime(iso: string | null): string {
  if (!iso) return '-';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

export { humanSize };

export function snapshotTable(snapshots: readonly Snapshot[]): string {
  const rows = snapshots.map((s) => [s.name, localTime(s.createdAt), localTime(s.expiresAt), s.stateful ? 'yes' : 'no', humanSize(s.sizeBytes)]);
  return table(['NAME', 'CREATED', 'EXPIRES', 'STATEFUL', 'SIZE'], rows);
}

export function snapshotListText(container: string, snapshots: readonly Snapshot[]): string {
  const body = snapshots.length === 0 ? '(none)\n' : snapshotTable(snapshots);
  const total = `Total: ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}`;
  return `Snapshots for ${container}:\n\n${body}\n${total}\n`;
}

export function allSnapshotsText(containers: readonly Container[]): string {
  return containers
    .map((c) => `\nSnapshots for ${printable(c.name)}:\n${c.snapshots.length === 0 ? '  (none)\n' : snapshotTable(c.snapshots)}`)
    .join('');
}

/** The containers as a table; a cluster's gets a LOCATION column (its member; "unreachable" when that is down). */
export function containerTable(containers: readonly Container[]): string {
  const clustered = containers.some((c) => c.location);
  const rows = containers.map((c) => [
    c.name,
    c.status.toUpperCase(),
    ...(clustered ? [`${c.location ?? '-'}${c.unreachable ? ' (unreachable)' : ''}`] : []),
    c.coi ? 'yes' : 'no',
    String(c.snapshots.length),
    c.snapshots[0] ? `${c.snapshots[0].name} (${localTime(c.snapshots[0].createdAt)})` : '-',
  ]);
  return table(['NAME', 'STATUS', ...(clustered ? ['LOCATION'] : []), 'COI', 'SNAPSHOTS', 'NEWEST SNAPSHOT'], rows);
}

/** A cluster's members: name, status, roles and Incus's message. */
export function membersTable(members: readonly ClusterMember[]): string {
  return table(['MEMBER', 'STATUS', 'ROLES', 'MESSAGE'], members.map((m) => [m.name, m.status.toUpperCase(), m.roles.join(',') || '-', m.message]));
}

export function snapshotInfoText(detail: SnapshotDetail): string {
  const fields: [string, string][] = [
    ['Snapshot', detail.name],
    ['Container', detail.container],
    ['Created', localTime(detail.createdAt)],
    ['Expires', localTime(detail.expiresAt)],
    ['Last used', localTime(detail.lastUsedAt)],
    ['Stateful', detail.stateful ? 'yes' : 'no'],
    ['Size', humanSize(detail.sizeBytes)],
    ['Architecture', detail.architecture || '-'],
    ['Ephemeral', detail.ephemeral ? 'yes' : 'no'],
    ['Profiles', detail.profiles.join(', ') || '-'],
    ['Description', detail.description || '-'],
    ['Includes', (detail.mounts ?? []).map((mount) => `${mount.path} (${mount.files} files, ${humanSize(mount.bytes)})`).join(', ') || '-'],
    ['Not captured', (detail.notCaptured ?? []).map(describeMount).join(', ') || '-'],
  ];
  const config = Object.entries(detail.config).sort(([a], [b]) => a.localeCompare(b));
  const configText = config.length === 0 ? '' : `Config:\n${config.map(([key, value]) => `  ${printable(key)}: ${printable(value)}`).join('\n')}\n`;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(14)}${printable(value)}`).join('\n') + '\n' + configText;
}

/** The one-line notice: "not in snapshots: /workspace (host folder /home/me/proj)" and `tail`. */
export function notCapturedText(mounts: readonly NotCaptured[], tail = ''): string {
  return `not in snapshots: ${mounts.map(describeMount).join(', ')}${tail}`;
}

/** "snapshot includes: /workspace (host folder /home/me/proj, 20000 files, 78.1 MiB)" */
export function heldMountsText(mounts: readonly HeldMount[]): string {
  return `snapshot includes: ${mounts.map((mount) => `${mount.path} (host folder ${mount.source}, ${mount.files} files, ${humanSize(mount.bytes)})`).join(', ')}`;
}

export function deleteOutcomeText(outcome: DeleteOutcome): string {
  return outcome.ok ? `Deleted snapshot '${outcome.name}'\n` : `Failed to delete snapshot '${printable(outcome.name)}': ${printable(outcome.error ?? 'unknown error', true)}\n`;
}

export function hostTarget(host: HostConfig): string {
  if (host.kind === 'local') return 'local socket';
  if (host.kind === 'incus') return host.url;
  const jump = host.jump ? ` via ${host.jump.user}@${host.jump.host}:${host.jump.port}` : '';
  return `${host.user}@${host.host}:${host.port}${jump}`;
}

export function hostListText(hosts: readonly HostConfig[]): string {
  return table(['NAME', 'KIND', 'TARGET', 'PROJECT'], hosts.map((host) => [host.name, host.kind, hostTarget(host), host.project ?? '-']));
}

/** A host status in words, with what to do where there is something to do; printable. */
export function statusText(status: HostStatus): string {
  return printable(rawStatusText(status), true);
}

function rawStatusText(status: HostStatus): string {
  switch (status.state) {
    case 'online':
      return `online (${status.latencyMs} ms)`;
    case 'offline':
      return `offline: ${status.reason}${status.nextRetryAt ? ` (retrying at ${localTime(status.nextRetryAt)})` : ''}`;
    case 'host-key-unknown':
      return `unknown host key ${status.fingerprint} (${status.keyType})`;
    case 'host-key-changed':
    case 'auth-failed':
    case 'permission-denied':
    case 'incus-missing':
    case 'forwarding-disabled':
      return `${status.state}: ${status.reason}`;
    default:
      return status.state;
  }
}

export function hostStatusText(result: HostTestResult): string {
  const version = result.incusVersion ? `, Incus ${printable(result.incusVersion)}` : '';
  return `${result.host}: ${statusText(result.status)}${version}`;
}

export function hostOverviewText(result: HostOverview): string {
  const snapshots = result.containers.reduce((sum, container) => sum + container.snapshots.length, 0);
  const head = `== ${result.host}: ${statusText(result.status)}`;
  if (result.error) return `${head}\n\n`;
  const members = result.members ? `cluster of ${result.members.length} member${result.members.length === 1 ? '' : 's'}:\n${membersTable(result.members)}` : '';
  return `${head}; ${result.containers.length} containers, ${snapshots} snapshots\n${members}${result.containers.length > 0 ? containerTable(result.containers) : ''}\n`;
}
